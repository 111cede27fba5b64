"""The author's note of a chat: its text, how often it is inserted, and where (in the prompt or in the chat)."""

from __future__ import annotations

from nicegui import ui
from pydantic import ValidationError

from app.services.prompting.authors_note import BEFORE_PROMPT, IN_CHAT, IN_PROMPT, ChatNote

from .dialog_buttons import cancel_save_buttons
from .page_context import PageContext


async def open_authors_note(ctx: PageContext, chat_id: str) -> None:
    """Show the chat's author's note for editing; Save stores it in the chat's metadata."""
    t = ctx.t
    note = ChatNote.from_meta((await ctx.services.chats.get(ctx.user, chat_id)).meta or {})
    positions = {IN_CHAT: t('note.in_chat'), IN_PROMPT: t('note.in_prompt'), BEFORE_PROMPT: t('note.before_prompt')}
    roles = {0: t('note.role_system'), 1: t('note.role_user'), 2: t('note.role_assistant')}
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('authors-note'):
        ui.label(t('note.title')).classes('text-lg font-bold')
        ui.label(t('note.help')).classes('text-xs opacity-70')
        text = ui.textarea(t('note.text'), value=note.prompt).props('autogrow outlined').classes('w-full') \
            .mark('note-text')
        with ui.grid(columns=2).classes('w-full gap-2'):
            interval = ui.number(t('note.interval'), value=note.interval, min=0, max=1000, step=1, precision=0) \
                .tooltip(t('note.interval_help')).mark('note-interval')
            position = ui.select(positions, value=note.position, label=t('note.position')).mark('note-position')
            depth = ui.number(t('note.depth'), value=note.depth, min=0, max=1000, step=1, precision=0) \
                .tooltip(t('note.depth_help')).mark('note-depth')
            role = ui.select(roles, value=note.role, label=t('note.role')).mark('note-role')
        depth.bind_enabled_from(position, 'value', backward=lambda value: value == IN_CHAT)
        role.bind_enabled_from(position, 'value', backward=lambda value: value == IN_CHAT)
        error = ui.label().classes('text-negative').mark('note-error')

        async def save() -> None:
            try:
                edited = ChatNote(prompt=text.value or '', interval=int(interval.value or 0),
                                  depth=int(depth.value or 0), position=position.value, role=role.value)
            except (ValidationError, TypeError, ValueError):
                error.text = t('note.invalid')
                return
            await ctx.services.chats.update_meta(ctx.user, chat_id, edited.to_meta())
            ui.notify(t('note.saved'))
            dialog.close()

        cancel_save_buttons(ctx, dialog, save, save_marker='save-note')
    dialog.open()
