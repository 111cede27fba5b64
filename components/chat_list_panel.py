"""The chats of one character beside the chat page: start a new chat, import a SillyTavern chat, search by title,
rename, export, delete."""

from __future__ import annotations

from nicegui import ui

from app.errors import TavernError
from app.services.chats import ChatSummary

from .chat_file_actions import export_choices, export_menu, import_button
from .confirm_dialog import confirm
from .dialog_buttons import cancel_save_buttons
from .page_context import PageContext


class ChatListPanel:
    def __init__(self, ctx: PageContext, character_id: str, current_chat_id: str) -> None:
        self.ctx = ctx
        self.character_id = character_id
        self.current = current_chat_id
        self.query = ''
        t = ctx.t
        with ui.column().classes('w-full gap-2'):
            ui.button(t('chat.new_chat'), icon='add', on_click=self.new_chat).classes('w-full').mark('new-chat')
            import_button(ctx, character_id)
            ui.input(placeholder=t('chat.search_chats'), on_change=self._search).props('dense outlined clearable') \
                .classes('w-full').mark('chat-search')
            self.rows = ui.column().classes('w-full gap-1').mark('chat-list')

    async def refresh(self) -> None:
        chats = await self.ctx.services.chats.list_chats(self.ctx.user, character_id=self.character_id,
                                                         query=self.query)
        choices = await export_choices(self.ctx)
        self.rows.clear()
        with self.rows:
            for chat in chats:
                self._row(chat, choices)

    def _row(self, chat: ChatSummary, export_formats: list[tuple[str, str]]) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center no-wrap gap-1').mark(f'chat-row-{chat.id}'):
            link = ui.link(chat.title, f'/chat/{chat.id}').classes('grow truncate text-inherit no-underline')
            if chat.id == self.current:
                link.classes('font-bold')
            ui.button(icon='edit', on_click=lambda: self._rename(chat)).props(
                f'flat dense round aria-label="{t("chat.rename")}"').mark(f'rename-chat-{chat.id}')
            export_menu(self.ctx, chat.id, export_formats)
            ui.button(icon='delete', on_click=lambda: self._delete(chat)).props(
                f'flat dense round aria-label="{t("chat.delete_chat")}"').mark(f'delete-chat-{chat.id}')

    async def new_chat(self) -> None:
        chat = await self.ctx.services.chats.start(self.ctx.user, self.character_id)
        ui.navigate.to(f'/chat/{chat.id}')

    async def _search(self, event: object) -> None:
        self.query = getattr(event, 'value', '') or ''
        await self.refresh()

    def _rename(self, chat: ChatSummary) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            title = ui.input(t('chat.rename'), value=chat.title).classes('w-full').mark('chat-title')
            error = ui.label().classes('text-negative')

            async def save() -> None:
                try:
                    await self.ctx.services.chats.rename(self.ctx.user, chat.id, title.value or '')
                except TavernError as failure:
                    error.text = self.ctx.error_text(failure)
                    return
                dialog.close()
                await self.refresh()

            cancel_save_buttons(self.ctx, dialog, save, save_marker='save-chat-title')
        dialog.open()

    async def _delete(self, chat: ChatSummary) -> None:
        t = self.ctx.t
        if not await confirm(t('chat.delete_chat_question', title=chat.title), ok_label=t('chat.delete_chat'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        await self.ctx.services.chats.delete(self.ctx.user, chat.id)
        if chat.id == self.current:
            ui.navigate.to(f'/characters/{self.character_id}/chat')
        else:
            await self.refresh()
