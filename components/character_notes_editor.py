"""The character editor's notes card: the character's note injected into every reply at a depth, and the
character's own author's note that replaces or surrounds the chat's note."""

from __future__ import annotations

from nicegui import ui
from pydantic import ValidationError

from app.errors import TavernError
from app.services.character_notes import CharacterNotes

from .page_context import PageContext


async def character_notes_editor(ctx: PageContext, character_id: str) -> None:
    t = ctx.t
    notes = CharacterNotes.of((await ctx.services.characters.get(ctx.user, character_id)).card)
    roles = {'system': t('note.role_system'), 'user': t('note.role_user'), 'assistant': t('note.role_assistant')}
    combines = {'replace': t('notes.replace'), 'before': t('notes.before'), 'after': t('notes.after')}
    with ui.card().classes('w-full gap-2').mark('character-notes'):
        ui.label(t('notes.title')).classes('text-lg font-bold')
        depth_prompt = ui.textarea(t('notes.depth_prompt'), value=notes.depth_prompt) \
            .props('autogrow outlined').classes('w-full').tooltip(t('notes.depth_prompt_help')) \
            .mark('character-depth-prompt')
        with ui.row().classes('gap-3'):
            depth = ui.number(t('note.depth'), value=notes.depth, min=0, max=1000, step=1, precision=0) \
                .mark('character-depth')
            role = ui.select(roles, value=notes.role, label=t('note.role')).classes('min-w-32') \
                .mark('character-depth-role')
        authors_note = ui.textarea(t('notes.authors_note'), value=notes.authors_note) \
            .props('autogrow outlined').classes('w-full').tooltip(t('notes.authors_note_help')) \
            .mark('character-authors-note')
        combine = ui.select(combines, value=notes.combine, label=t('notes.combine')).classes('min-w-48') \
            .mark('character-note-combine')
        error = ui.label().classes('text-negative')

        async def save() -> None:
            try:
                edited = CharacterNotes(depth_prompt=depth_prompt.value or '', depth=int(depth.value or 0),
                                        role=role.value, authors_note=authors_note.value or '',
                                        combine=combine.value)
                await ctx.services.characters.set_notes(ctx.user, character_id, edited)
            except (ValidationError, TypeError, ValueError):
                error.text = t('note.invalid')
                return
            except TavernError as failure:
                error.text = ctx.error_text(failure)
                return
            error.text = ''
            ui.notify(t('notes.saved'))

        ui.button(t('common.save'), on_click=save).classes('self-end').mark('save-character-notes')
