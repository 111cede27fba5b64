"""The chat page: a window of recent messages, the input, and replies that stream in as deltas.

The page follows the chat's generation stream for as long as it is open, so a reply started from another tab or
the API shows up here too; a page opened while a reply streams replays that reply's deltas first. Deltas are
buffered and sent to the browser every 150 ms as one `append` call; the finished reply is loaded from the database
and rendered as markdown once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Literal

from fastapi.responses import RedirectResponse
from nicegui import background_tasks, ui

from app.db.models import Message
from app.db.types import utcnow
from app.errors import NotFoundError, TavernError
from app.services.character_card import fields_of
from app.services.chats import BOOKMARK_KEY
from components.authors_note_dialog import open_authors_note
from components.bookmark_panel import BookmarkPanel, checkpoint_dialog
from components.chat_list_panel import ChatListPanel
from components.chat_tree_panel import ChatTreePanel
from components.confirm_dialog import confirm
from components.debouncer import Debouncer
from components.generation_panel import GenerationPanel
from components.lorebook_pickers import chat_lorebook
from components.message_view import MessageView
from components.page_context import PageContext
from components.plugin_commands import is_chat_command, run_chat_command
from components.plugin_slot import COLUMN, plugin_slot, slot_target
from components.prompt_preview_dialog import open_prompt_preview
from components.streaming_text import StreamingText

from .registry import page

WINDOW = 30
REVEALED_STYLE = 'outline: 2px solid var(--q-primary)'


@page('/characters/{character_id}/chat', title_key='chat.title')
async def character_chat_page(ctx: PageContext, character_id: str) -> RedirectResponse | None:
    """Open the character's most recent chat, or start the first one."""
    try:
        chats = await ctx.services.chats.list_chats(ctx.user, character_id=character_id, limit=1)
        chat_id = chats[0].id if chats else (await ctx.services.chats.start(ctx.user, character_id)).id
    except NotFoundError as error:
        ui.label(ctx.error_text(error)).classes('text-lg').mark('not-found')
        ui.context.client.status_code = 404
        return None
    return RedirectResponse(f'/chat/{chat_id}', status_code=303)


@page('/chat/{chat_id}', title_key='chat.title')
async def chat_page(ctx: PageContext, chat_id: str, message: int | None = None) -> None:
    """The chat; `?message=<id>` opens it scrolled to that message (from search results and bookmarks)."""
    try:
        chat = await ctx.services.chats.get(ctx.user, chat_id)
        character = await ctx.services.characters.get(ctx.user, chat.character_id)
    except NotFoundError as error:
        ui.label(ctx.error_text(error)).classes('text-lg').mark('not-found')
        ui.context.client.status_code = 404
        return
    persona = await ctx.services.personas.for_chat(ctx.user, chat)
    view = ChatView(ctx, chat_id, fields_of(character.card).name, persona.name)
    await view.build()
    with ui.context.client.content, ui.right_drawer(value=False, fixed=False).props('bordered') as drawer:
        panel = ChatListPanel(ctx, chat.character_id, chat_id)
        view.side_panels = [panel, BookmarkPanel(ctx, chat_id, view.reveal), ChatTreePanel(ctx, chat_id)]
        await chat_lorebook(ctx, chat_id)
        await plugin_slot(ctx, 'chat.sidebar', slot_target(ctx, 'chat.sidebar', chat_id=chat_id,
                                                           character_id=chat.character_id), classes=COLUMN)
    await view.refresh_side_panels()
    view.chats_button.on_click(drawer.toggle)
    if message is not None:
        await view.reveal(message)


class ChatView:
    def __init__(self, ctx: PageContext, chat_id: str, char: str, user: str) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        self.char = char
        self.user = user
        self.views: dict[int, MessageView] = {}
        self.live: dict[int, StreamingText] = {}
        self.selected: set[int] = set()
        self.oldest_seq: int | None = None
        self.side_panels: list[ChatListPanel | BookmarkPanel | ChatTreePanel] = []
        self.revealed: MessageView | None = None
        self.token_counter = Debouncer(0.5, self.count_prompt_tokens)

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center'):
            ui.label(self.char).classes('text-2xl font-bold')
            ui.space()
            ui.button(icon='tune', on_click=GenerationPanel(self.ctx, self.chat_id, self.settings_saved).open) \
                .props(f'flat round aria-label="{t("generation.title")}"').mark('generation-open') \
                .tooltip(t('generation.title'))
            self.chats_button = ui.button(t('chat.chats'), icon='forum').props('flat').mark('chats-toggle')
        self.older = ui.button(t('chat.load_older'), icon='expand_less', on_click=self.load_older) \
            .props('flat').classes('self-center').mark('load-older')
        self.list = ui.column().classes('w-full gap-2').mark('message-list')
        self._selection_bar()
        await self._input_row()
        self._set_busy(self.ctx.services.generation.is_running(self.chat_id))
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, limit=WINDOW)
        self._show(page.items, page.has_older, prepend=False)
        replay_from = min((m.meta.get('stream_after', '$') for m in page.items if m.status == 'streaming'),
                          default='$')
        follower = background_tasks.create(self.follow(replay_from), name=f'follow chat {self.chat_id}')
        ui.context.client.on_delete(follower.cancel)
        await self.count_prompt_tokens()

    async def _input_row(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-end gap-2 no-wrap'):
            with ui.button(icon='more_vert').props(f'flat round aria-label="{t("chat.more")}"').mark('chat-menu'), \
                    ui.menu():
                ui.menu_item(t('chat.regenerate'), on_click=self.regenerate).mark('regenerate')
                ui.menu_item(t('chat.continue'), on_click=self.continue_reply).mark('continue')
                ui.menu_item(t('chat.impersonate'), on_click=self.impersonate).mark('impersonate')
                ui.menu_item(t('chat.select_messages'), on_click=lambda: self._set_selecting(True)) \
                    .mark('select-messages')
                ui.separator()
                ui.menu_item(t('chat.authors_note'), on_click=lambda: open_authors_note(self.ctx, self.chat_id)) \
                    .mark('authors-note-open')
                ui.menu_item(t('chat.prompt_preview'), on_click=lambda: open_prompt_preview(self.ctx, self.chat_id)) \
                    .mark('prompt-preview-open')
            await plugin_slot(self.ctx, 'chat.input.toolbar',
                              slot_target(self.ctx, 'chat.input.toolbar', chat_id=self.chat_id,
                                          fill_input=self.fill_input, send_input=self.send_input))
            self.input = ui.textarea(placeholder=t('chat.placeholder'), on_change=self.token_counter.trigger) \
                .props('autogrow outlined dense').classes('grow').mark('chat-input')
            self.input.on('keydown.enter.exact.prevent', self.send)
            self.send_button = ui.button(icon='send', on_click=self.send).props(f'aria-label="{t("chat.send")}"') \
                .mark('send').tooltip(t('chat.send'))
            self.stop_button = ui.button(icon='stop', on_click=self.stop) \
                .props(f'color=negative aria-label="{t("chat.stop")}"').mark('stop').tooltip(t('chat.stop'))
        self.token_label = ui.label().classes('text-xs opacity-60').mark('prompt-tokens')

    def fill_input(self, text: str) -> None:
        """Put `text` into the message input for the user to edit and send (a plugin's toolbar control)."""
        self.input.set_value(text)
        self.input.run_method('focus')

    async def send_input(self, text: str) -> bool:
        """Send `text` as if the user typed it and pressed send (a plugin's toolbar control)."""
        self.input.set_value(text)
        await self.send()
        return True

    def _selection_bar(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2') as self.selection_bar:
            self.selection_count = ui.label(t('chat.selected', count=0)).mark('selected-count')
            ui.space()
            ui.button(t('chat.delete_selected'), icon='delete', on_click=self.delete_selected) \
                .props('color=negative').mark('delete-selected')
            ui.button(t('common.cancel'), on_click=lambda: self._set_selecting(False)).props('flat') \
                .mark('cancel-selection')
        self.selection_bar.set_visibility(False)

    async def load_older(self) -> None:
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, before_seq=self.oldest_seq,
                                                      limit=WINDOW)
        self._show(page.items, page.has_older, prepend=True)

    async def send(self) -> None:
        text = (self.input.value or '').strip()
        if not text:
            return
        if is_chat_command(self.ctx, text):
            result = await run_chat_command(self.ctx, self.chat_id, self.char, self.user, text)
            if result is None:
                return
            self.input.value = ''
            await self._refresh_tail(None)
            if not result.send:
                return
            text = result.send
        try:
            message, _ = await self.ctx.services.generation.send(self.ctx.user, self.chat_id, text)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        self.input.value = ''
        self._set_busy(True)
        await self._refresh_tail(message.seq)
        ui.run_javascript('document.scrollingElement.scrollTop = document.scrollingElement.scrollHeight')

    async def stop(self) -> None:
        await self.ctx.services.generation.stop(self.ctx.user, self.chat_id)

    async def regenerate(self) -> None:
        await self._start_reply(self.ctx.services.generation.regenerate(self.ctx.user, self.chat_id))

    async def continue_reply(self) -> None:
        await self._start_reply(self.ctx.services.generation.continue_reply(self.ctx.user, self.chat_id))

    async def impersonate(self) -> None:
        """Fill the input with a message written in the user's voice, for them to edit and send."""
        self._set_busy(True)
        try:
            text = await self.ctx.services.generation.impersonate(self.ctx.user, self.chat_id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        finally:
            self._set_busy(False)
        self.input.value = text

    async def swipe(self, message: Message, direction: Literal[-1, 1]) -> None:
        if direction == 1 and message.swipe_index >= len(message.swipes) - 1:
            await self._start_reply(self.ctx.services.generation.new_swipe(self.ctx.user, self.chat_id, message.id))
            return
        try:
            self._replace(await self.ctx.services.chats.swipe(self.ctx.user, message.id, direction))
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')

    async def edit(self, message: Message, text: str) -> None:
        self._replace(await self.ctx.services.chats.edit(self.ctx.user, message.id, text))

    async def delete(self, message: Message) -> None:
        t = self.ctx.t
        if await confirm(t('chat.delete_question'), ok_label=t('chat.delete'), cancel_label=t('common.cancel'),
                         danger=True):
            await self._delete([message.id])

    async def branch(self, message: Message) -> None:
        """Start a new chat holding the messages up to this one, and open it."""
        chat = await self.ctx.services.chats.branch(self.ctx.user, self.chat_id, message.seq)
        ui.navigate.to(f'/chat/{chat.id}')

    async def bookmark(self, message: Message) -> None:
        """Bookmark the message, or remove its bookmark."""
        label = None if BOOKMARK_KEY in message.meta else ''
        self._replace(await self.ctx.services.chats.set_bookmark(self.ctx.user, message.id, label))
        await self.refresh_side_panels()

    async def checkpoint(self, message: Message) -> None:
        """Ask for a name, then save the chat up to this message as a checkpoint (a named branch) and stay here."""
        async def create(name: str) -> None:
            chat = await self.ctx.services.chat_tree.create_checkpoint(self.ctx.user, self.chat_id, message.seq, name)
            self._replace(await self.ctx.services.chats.message(self.ctx.user, message.id))
            ui.notify(self.ctx.t('bookmark.checkpoint_created', name=chat.title), type='positive')
            await self.refresh_side_panels()

        await checkpoint_dialog(self.ctx, self.ctx.t('bookmark.checkpoint_default', number=message.seq + 1,
                                                     time=f'{utcnow():%Y-%m-%d %H:%M}'), create)

    async def reveal(self, message_id: int) -> None:
        """Load older windows until the message is on the page, then scroll to it and outline it."""
        try:
            target = await self.ctx.services.chats.message(self.ctx.user, message_id)
        except NotFoundError:
            target = None
        if target is None or target.chat_id != self.chat_id:
            with self.list:  # the button that asked may be gone by now (its panel refreshed)
                ui.notify(self.ctx.t('error.message.not_found'), type='warning')
            return
        while message_id not in self.views and self.older.visible:
            await self.load_older()
        view = self.views.get(message_id)
        if view is None:
            return
        if self.revealed:
            self.revealed.card.style(remove=REVEALED_STYLE)
        self.revealed = view
        view.card.style(REVEALED_STYLE)
        view.card.client.run_javascript(f'requestAnimationFrame(() => getHtmlElement({view.card.id})'
                                        '.scrollIntoView({block: "center"}))')

    async def refresh_side_panels(self) -> None:
        for panel in self.side_panels:
            await panel.refresh()

    def select(self, message: Message, selected: bool) -> None:
        if selected:
            self.selected.add(message.id)  # type: ignore[arg-type]
        else:
            self.selected.discard(message.id)  # type: ignore[arg-type]
        self.selection_count.text = self.ctx.t('chat.selected', count=len(self.selected))

    async def delete_selected(self) -> None:
        t = self.ctx.t
        if self.selected and await confirm(t('chat.delete_selected_question', count=len(self.selected)),
                                           ok_label=t('chat.delete'), cancel_label=t('common.cancel'), danger=True):
            await self._delete(sorted(self.selected))
        self._set_selecting(False)

    async def settings_saved(self) -> None:
        """Show the (maybe new) persona's name on the messages, and the prompt size with the new settings."""
        chat = await self.ctx.services.chats.get(self.ctx.user, self.chat_id)
        user = (await self.ctx.services.personas.for_chat(self.ctx.user, chat)).name
        if user != self.user:
            self.user = user
            for view in self.views.values():
                view.user = user
                if view.stream is None:
                    view.render()
        await self.count_prompt_tokens()

    async def count_prompt_tokens(self) -> None:
        """Show how many tokens the next prompt takes, with what is typed so far."""
        try:
            tokens = await self.ctx.services.generation.prompt_tokens(self.ctx.user, self.chat_id,
                                                                      self.input.value or '')
        except TavernError as error:
            self.token_label.text = self.ctx.error_text(error)
            return
        self.token_label.text = self.ctx.t('chat.prompt_tokens', tokens=tokens)

    async def follow(self, after_id: str) -> None:
        """Apply the chat's stream to the page: buffered deltas while a reply grows, the stored text once it ends."""
        events = self.ctx.services.streams.subscribe(self.chat_id, after_id=after_id)
        upcoming = asyncio.ensure_future(anext(events))
        try:
            while True:
                waits = [due for stream in self.live.values() if (due := stream.due_in()) is not None]
                done, _ = await asyncio.wait({upcoming}, timeout=min(waits, default=None))
                if done:
                    event = upcoming.result()
                    upcoming = asyncio.ensure_future(anext(events))
                    if event.kind == 'message':
                        await self._delta(event.message_id, event.data)
                    elif event.kind == 'complete':
                        self._flush()
                        await self._finished(event.message_id)
                self._flush_due()
        finally:
            upcoming.cancel()
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]

    async def _start_reply(self, starting: Awaitable[int]) -> None:
        """Start a reply into an existing or new message and show it streaming."""
        try:
            message_id = await starting
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        self._set_busy(True)
        await self._show_streaming(message_id)

    async def _show_streaming(self, message_id: int) -> None:
        """Turn the message's view into a growing text, unless it is one already (the stream may have done it)."""
        if message_id not in self.views:
            await self._refresh_tail(None)
            return
        message = await self.ctx.services.chats.message(self.ctx.user, message_id)
        if self.views[message_id].stream is None and message.status == 'streaming':
            self._replace(message)

    async def _delta(self, message_id: int, text: str) -> None:
        view = self.views.get(message_id)
        if view is None or view.stream is None:
            await self._show_streaming(message_id)
            view = self.views.get(message_id)
        if view and view.stream:
            self.live[message_id] = view.stream
            view.stream.push(text)

    async def _finished(self, message_id: int) -> None:
        self.live.pop(message_id, None)
        self._set_busy(False)
        if message_id in self.views:
            self._replace(await self.ctx.services.chats.message(self.ctx.user, message_id))
        await self.count_prompt_tokens()

    def _flush(self) -> None:
        for stream in self.live.values():
            stream.flush()

    def _flush_due(self) -> None:
        """Send what has waited its 150 ms, also while events keep arriving (a page that is behind)."""
        for stream in self.live.values():
            if stream.due_in() == 0:
                stream.flush()

    async def _delete(self, message_ids: list[int]) -> None:
        await self.ctx.services.chats.delete_messages(self.ctx.user, self.chat_id, message_ids)
        for message_id in message_ids:
            view = self.views.pop(message_id, None)
            if view:
                view.card.delete()
        self._mark_last()
        await self.count_prompt_tokens()

    async def _refresh_tail(self, from_seq: int | None) -> None:
        """Show messages added since the page was built (the user's message, a reply placeholder)."""
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, limit=5)
        new = [m for m in page.items if m.id not in self.views and (from_seq is None or m.seq >= from_seq)]
        for message in new:
            self._add(message, prepend=False)
        self._mark_last()

    def _show(self, messages: list[Message], has_older: bool, *, prepend: bool) -> None:
        for message in reversed(messages) if prepend else messages:
            self._add(message, prepend=prepend)
        if messages:
            self.oldest_seq = min(self.oldest_seq or messages[0].seq, messages[0].seq)
        self.older.set_visibility(has_older)
        self._mark_last()

    def _add(self, message: Message, *, prepend: bool) -> None:
        with self.list:
            view = MessageView(self.ctx, message, char=self.char, user=self.user, is_last=False, actions=self)
        if prepend:
            view.card.move(self.list, target_index=0)
        self.views[message.id] = view  # type: ignore[index]

    def _replace(self, message: Message) -> None:
        view = self.views.get(message.id)  # type: ignore[arg-type]
        if view:
            view.message = message
            view.render()

    def _mark_last(self) -> None:
        """Only the newest message offers swipes; re-render the ones whose role in that changed."""
        last_id = max(self.views, key=lambda i: self.views[i].message.seq, default=None)
        for message_id, view in self.views.items():
            if view.is_last != (message_id == last_id):
                view.is_last = message_id == last_id
                if view.stream is None:
                    view.render()

    def _set_selecting(self, selecting: bool) -> None:
        """Show a checkbox on every message (and the bar to delete the checked ones), or go back to normal."""
        self.selected.clear()
        self.selection_count.text = self.ctx.t('chat.selected', count=0)
        self.selection_bar.set_visibility(selecting)
        for view in self.views.values():
            view.selecting = selecting
            if view.stream is None:
                view.render()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.set_visibility(not busy)
        self.stop_button.set_visibility(busy)
