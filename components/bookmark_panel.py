"""The chat's bookmarks and checkpoints beside the chat page, and the dialog that names a new checkpoint.

A bookmark row jumps to its message; a checkpoint row opens the checkpoint chat (SillyTavern's `bookmark_link`,
found by title), or says that no chat of that name is left.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.errors import TavernError
from app.services.chat_tree import MAX_CHECKPOINT_NAME, ChatMark
from app.services.chats import MAX_BOOKMARK_LABEL

from .dialog_buttons import cancel_save_buttons
from .page_context import PageContext


class BookmarkPanel:
    def __init__(self, ctx: PageContext, chat_id: str, jump: Callable[[int], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        self.jump = jump
        with ui.column().classes('w-full gap-1'):
            ui.label(ctx.t('bookmark.panel_title')).classes('text-sm font-bold opacity-70')
            self.rows = ui.column().classes('w-full gap-0').mark('bookmark-list')

    async def refresh(self) -> None:
        marks = await self.ctx.services.chat_tree.marks(self.ctx.user, self.chat_id)
        self.rows.clear()
        with self.rows:
            if not marks:
                ui.label(self.ctx.t('bookmark.none')).classes('text-sm opacity-60').mark('no-bookmarks')
            for mark in marks:
                if mark.kind == 'bookmark':
                    self._bookmark_row(mark)
                else:
                    self._checkpoint_row(mark)

    def _bookmark_row(self, mark: ChatMark) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center no-wrap gap-1').mark(f'bookmark-{mark.seq}'):
            ui.icon('bookmark', color='primary')
            ui.button(mark.label or mark.excerpt, on_click=lambda: self.jump(mark.message_id)) \
                .props('flat dense no-caps align=left').classes('grow truncate').mark(f'bookmark-jump-{mark.seq}')
            ui.button(icon='edit', on_click=lambda: self._relabel(mark)) \
                .props(f'flat dense round size=sm aria-label="{t("bookmark.label")}"') \
                .mark(f'bookmark-relabel-{mark.seq}')
            ui.button(icon='close', on_click=lambda: self._remove(mark)) \
                .props(f'flat dense round size=sm aria-label="{t("bookmark.remove")}"') \
                .mark(f'bookmark-remove-{mark.seq}')

    def _checkpoint_row(self, mark: ChatMark) -> None:
        with ui.row().classes('w-full items-center no-wrap gap-1').mark(f'checkpoint-{mark.seq}'):
            ui.icon('flag', color='secondary')
            if mark.checkpoint_id:
                ui.link(mark.label, f'/chat/{mark.checkpoint_id}').classes('grow truncate text-inherit') \
                    .mark(f'checkpoint-open-{mark.seq}')
            else:
                ui.label(mark.label).classes('grow truncate opacity-60').tooltip(self.ctx.t('bookmark.missing'))

    def _relabel(self, mark: ChatMark) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            label = ui.input(t('bookmark.label'), value=mark.label).props(f'maxlength={MAX_BOOKMARK_LABEL}') \
                .classes('w-full').mark('bookmark-label')

            async def save() -> None:
                await self.ctx.services.chats.set_bookmark(self.ctx.user, mark.message_id, label.value or '')
                dialog.close()
                await self.refresh()

            cancel_save_buttons(self.ctx, dialog, save, save_marker='save-bookmark-label')
        dialog.open()

    async def _remove(self, mark: ChatMark) -> None:
        await self.ctx.services.chats.set_bookmark(self.ctx.user, mark.message_id, None)
        await self.refresh()


async def checkpoint_dialog(ctx: PageContext, suggestion: str, create: Callable[[str], Awaitable[None]]) -> None:
    """Ask for the new checkpoint's name and call `create` with it; a refusal (name taken) shows in the dialog.

    The dialog lives at page level, not inside the message that opened it, since `create` re-renders that message.
    """
    t = ctx.t
    with ui.context.client.content, ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
        ui.label(t('bookmark.checkpoint_title')).classes('text-lg font-bold')
        ui.label(t('bookmark.checkpoint_hint')).classes('text-sm opacity-70')
        name = ui.input(t('bookmark.checkpoint_name'), value=suggestion) \
            .props(f'maxlength={MAX_CHECKPOINT_NAME}').classes('w-full').mark('checkpoint-name')
        error = ui.label().classes('text-negative text-sm').mark('checkpoint-error')

        async def save() -> None:
            try:
                await create(name.value or '')
            except TavernError as failure:
                error.text = ctx.error_text(failure)
                return
            dialog.submit(True)

        cancel_save_buttons(ctx, dialog, save, save_marker='save-checkpoint')
    await dialog
    dialog.delete()
