"""One chat message: speaker, text (markdown, sanitised in the browser), status, swipes and actions.

Plugins may add actions (the `chat.message.actions` slot, drawn only when an enabled plugin declares it) and change
how the text is shown (`render_message`: display only; the stored text, copy and edit stay as they are).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from nicegui import background_tasks, ui

from app.db.models import Message
from app.plugins.chat_bridge import message_info
from app.services.chats import BOOKMARK_KEY
from app.services.name_macros import substitute

from .page_context import PageContext
from .plugin_slot import plugin_slot_later, slot_declared, slot_target
from .prompt_preview_dialog import fired_entries_list
from .streaming_text import StreamingText

MESSAGE_ACTIONS = 'chat.message.actions'


class MessageActions(Protocol):
    """What the chat page does when a message's buttons are used."""

    async def swipe(self, message: Message, direction: Literal[-1, 1]) -> None: ...

    async def edit(self, message: Message, text: str) -> None: ...

    async def delete(self, message: Message) -> None: ...

    async def branch(self, message: Message) -> None: ...

    async def bookmark(self, message: Message) -> None: ...

    async def checkpoint(self, message: Message) -> None: ...

    def select(self, message: Message, selected: bool) -> None: ...


class MessageView:
    """Renders a message and re-renders it in place when it changes (a new swipe, an edit, a finished reply)."""

    def __init__(self, ctx: PageContext, message: Message, *, char: str, user: str, is_last: bool,
                 actions: MessageActions) -> None:
        self.ctx = ctx
        self.message = message
        self.char, self.user = char, user
        self.is_last = is_last
        self.actions = actions
        self.selecting = False
        self.stream: StreamingText | None = None
        self.card = ui.card().classes('w-full gap-1 ' + ('bg-primary/10' if message.role == 'user' else '')) \
            .mark(f'message-{message.seq}')
        self.render()

    def render(self) -> None:
        message, t = self.message, self.ctx.t
        self.card.clear()
        with self.card:
            with ui.row().classes('w-full items-center gap-2'):
                if self.selecting:
                    ui.checkbox(on_change=lambda e: self.actions.select(message, e.value)) \
                        .props(f'dense aria-label="{t("chat.select_message")}"').mark(f'select-message-{message.seq}')
                ui.label(message.name or (self.user if message.role == 'user' else self.char)).classes('font-bold')
                if message.status in ('interrupted', 'error'):
                    ui.badge(t(f'chat.status.{message.status}'), color='warning' if message.status == 'interrupted'
                             else 'negative')
                ui.space()
                self._actions()
            if message.status == 'streaming':
                self.stream = StreamingText(substitute(message.content, self.char, self.user)).mark('streaming-text')
            else:
                self.stream = None
                self._markdown(substitute(message.content, self.char, self.user))
            if message.error:
                ui.label(message.error).classes('text-negative text-sm').mark('message-error')
            if message.meta.get('completion_tokens') or message.meta.get('world_info'):
                with ui.row().classes('items-center gap-2'):
                    if message.meta.get('completion_tokens'):
                        ui.label(t('chat.tokens', prompt=message.meta.get('prompt_tokens', 0),
                                   reply=message.meta['completion_tokens'])).classes('text-xs opacity-60')
                    if message.meta.get('world_info'):
                        ui.button(t('chat.world_info_fired') + f' ({len(message.meta["world_info"])})',
                                  on_click=self._show_world_info).props('flat dense no-caps size=sm') \
                            .mark(f'world-info-{message.seq}')

    def _actions(self) -> None:
        message = self.message
        if self.selecting:
            return
        if self.is_last and message.role == 'assistant' and message.status != 'streaming':
            self._icon_button('chevron_left', 'chat.swipe_left', 'swipe-left', lambda: self.actions.swipe(message, -1))
            ui.label(f'{message.swipe_index + 1}/{max(1, len(message.swipes))}').classes('text-xs').mark('swipe-count')
            self._icon_button('chevron_right', 'chat.swipe_right', 'swipe-right',
                              lambda: self.actions.swipe(message, 1))
        if message.status != 'streaming':
            self._icon_button('content_copy', 'chat.copy', f'copy-message-{message.seq}', self._copy)
            self._icon_button('call_split', 'chat.branch', f'branch-message-{message.seq}',
                              lambda: self.actions.branch(message))
            bookmarked = BOOKMARK_KEY in message.meta
            self._icon_button('bookmark' if bookmarked else 'bookmark_border',
                              'bookmark.remove' if bookmarked else 'bookmark.add', f'bookmark-message-{message.seq}',
                              lambda: self.actions.bookmark(message))
            self._icon_button('flag', 'bookmark.create_checkpoint', f'checkpoint-message-{message.seq}',
                              lambda: self.actions.checkpoint(message))
            self._icon_button('edit', 'chat.edit', f'edit-message-{message.seq}', self._edit)
            self._icon_button('delete', 'chat.delete', f'delete-message-{message.seq}',
                              lambda: self.actions.delete(message))
            if slot_declared(self.ctx, MESSAGE_ACTIONS):
                plugin_slot_later(self.ctx, MESSAGE_ACTIONS, slot_target(self.ctx, MESSAGE_ACTIONS,
                                                                         chat_id=message.chat_id,
                                                                         message=message_info(message)))

    def _markdown(self, text: str) -> None:
        """The text as markdown; with `render_message` plugins, as they change it (shown once they answered)."""
        plugins = self.ctx.services.plugins
        if not plugins.has_impls('render_message'):
            ui.markdown(text).classes('w-full').mark('message-text')
            return
        shown = ui.markdown().classes('w-full').mark('message-text')
        info = message_info(self.message)

        async def render() -> None:
            shown.content = await plugins.pipe('render_message', text, user=self.ctx.user, message=info)

        background_tasks.create(render(), name=f'render message {self.message.id}')

    def _icon_button(self, icon: str, label_key: str, marker: str, on_click: Callable[[], Any]) -> None:
        """An icon button that screen readers and browser tests can find by its label."""
        label = self.ctx.t(label_key)
        ui.button(icon=icon, on_click=on_click).props(f'flat dense round aria-label="{label}"').mark(marker) \
            .tooltip(label)

    def _show_world_info(self) -> None:
        """Which lorebook entries went into this reply's prompt, and why each fired."""
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('world-info-fired'):
            ui.label(self.ctx.t('chat.world_info_fired')).classes('text-lg font-bold')
            fired_entries_list(self.ctx, self.message.meta.get('world_info') or [])
            ui.button(self.ctx.t('common.close'), on_click=dialog.close).props('flat').classes('self-end')
        dialog.open()

    def _copy(self) -> None:
        ui.clipboard.write(substitute(self.message.content, self.char, self.user))
        ui.notify(self.ctx.t('chat.copied'))

    def _edit(self) -> None:
        self.card.clear()
        with self.card:
            editor = ui.textarea(value=self.message.content).props('autogrow outlined').classes('w-full') \
                .mark('edit-text')
            with ui.row().classes('gap-2'):
                ui.button(self.ctx.t('common.save'), on_click=lambda: self.actions.edit(self.message, editor.value)) \
                    .mark('save-edit')
                ui.button(self.ctx.t('common.cancel'), on_click=self.render).props('flat').mark('cancel-edit')
