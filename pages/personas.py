"""Personas: who the user plays as in a chat. Cards with avatar, name and description, an add/edit dialog, delete.

A picture chosen in the dialog is held until Save and stored right after the persona, so Cancel changes nothing.
"""

from __future__ import annotations

import asyncio

from nicegui import ui
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.db.models import Persona
from app.errors import TavernError
from app.services.media import CONTENT_TYPES, FORMATS, avatar_url, sniff_format, thumbnail_url
from app.services.personas import PersonaFields, PersonaUpdate
from components.avatar import avatar
from components.avatar_picker import AvatarPicker
from components.confirm_dialog import confirm
from components.dialog_buttons import cancel_save_buttons
from components.lorebook_pickers import book_options, persona_lorebook
from components.page_context import PageContext

from .registry import page

GRID_CLASSES = 'w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-4'
EXCERPT_LENGTH = 160


@page('/personas', title_key='personas.title')
async def personas_page(ctx: PageContext) -> None:
    await PersonasView(ctx).build()


class PersonasView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center'):
            ui.label(t('personas.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('personas.add'), icon='add', on_click=lambda: self.edit(None)).mark('add-persona')
        ui.label(t('personas.hint')).classes('text-sm opacity-70')
        self.content = ui.column().classes('w-full')
        await self.refresh()

    async def refresh(self) -> None:
        personas = await self.ctx.services.personas.list(self.ctx.user)
        self.lorebook_options = await book_options(self.ctx)
        self.persona_books = (await self.ctx.services.lorebooks.bindings(self.ctx.user)).personas
        self.content.clear()
        with self.content:
            if not personas:
                self._empty_state()
                return
            with ui.element('div').classes(GRID_CLASSES).mark('persona-list'):
                for persona in personas:
                    self._card(persona)

    def _empty_state(self) -> None:
        t = self.ctx.t
        assert self.ctx.user is not None
        with ui.card().classes('w-full gap-2').mark('no-personas'):
            ui.label(t('personas.empty.title')).classes('text-xl font-bold')
            ui.label(t('personas.empty.intro', name=self.ctx.user.display_name or self.ctx.user.handle))

    def _card(self, persona: Persona) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full gap-2').mark('persona-card'):
            with ui.row().classes('w-full items-center gap-3 no-wrap'):
                avatar(persona.name, thumbnail_url(persona.avatar_hash), size_classes='w-16 h-16 text-2xl')
                with ui.column().classes('gap-1 min-w-0'):
                    ui.label(persona.name).classes('font-bold break-all').mark('persona-name')
                    if persona.is_default:
                        ui.badge(t('personas.default')).mark('persona-default')
            ui.label(_excerpt(persona.description)).classes('text-sm opacity-80 break-words') \
                .mark('persona-description')
            persona_lorebook(self.ctx, persona.id, self.lorebook_options, self.persona_books.get(persona.id))
            with ui.row().classes('w-full justify-end gap-1'):
                ui.button(t('personas.edit'), on_click=lambda: self.edit(persona)).props('flat dense') \
                    .mark('edit-persona')
                ui.button(t('personas.delete'), on_click=lambda: self.delete(persona)) \
                    .props('flat dense color=negative').mark('delete-persona')

    async def edit(self, persona: Persona | None) -> None:
        """Open the dialog for `persona` (a new one for None) and show the list again once it is closed."""
        form = PersonaForm(self.ctx, persona)
        await form.dialog
        form.dialog.delete()
        await self.refresh()

    async def delete(self, persona: Persona) -> None:
        t = self.ctx.t
        if not await confirm(t('personas.delete_question', name=persona.name), ok_label=t('personas.delete'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        try:
            await self.ctx.services.personas.delete(self.ctx.user, persona.id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
        else:
            ui.notify(t('personas.deleted', name=persona.name))
        await self.refresh()


class PersonaForm:
    """The add/edit dialog; it closes itself once the persona (and any new picture) is stored."""

    def __init__(self, ctx: PageContext, persona: Persona | None) -> None:
        self.ctx = ctx
        self.persona = persona
        self.pending_avatar: bytes | None = None
        self.saving = asyncio.Lock()
        t = ctx.t
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-lg'):
            ui.label(t('personas.edit_title' if persona else 'personas.add')).classes('text-lg font-bold')
            with ui.column().classes('w-full items-center'):
                self.avatar = AvatarPicker(ctx, persona.name if persona else '',
                                           avatar_url(persona.avatar_hash if persona else None), self._picture)
            self.inputs = {
                'name': ui.input(t('personas.name'), value=persona.name if persona else '')
                .props('outlined autofocus').classes('w-full').mark('persona-name-input'),
                'description': ui.textarea(t('personas.description'), value=persona.description if persona else '')
                .props('outlined autogrow').classes('w-full').mark('persona-description-input'),
            }
            self.inputs['description'].props['hint'] = t('personas.description_hint')
            self.is_default = ui.checkbox(t('personas.make_default'), value=persona.is_default if persona else False) \
                .mark('persona-default-input')
            cancel_save_buttons(ctx, self.dialog, self.save, save_marker='save-persona')

    async def save(self) -> None:
        """Store the persona, then the held picture; a second click while saving is ignored."""
        if self.saving.locked():
            return
        async with self.saving:
            fields = self._validated()
            if fields is None:
                return
            try:
                self.persona = await self._store(fields)
            except TavernError as error:
                ui.notify(self.ctx.error_text(error), type='negative')
                return
            if await self._store_avatar():
                ui.notify(self.ctx.t('personas.saved'), type='positive')
                self.dialog.close()

    def _validated(self) -> PersonaFields | None:
        """The form as `PersonaFields`, or None after marking the field that is wrong."""
        for element in self.inputs.values():
            element.error = None
        values = {name: element.value or '' for name, element in self.inputs.items()}
        try:
            return PersonaFields(**values, is_default=bool(self.is_default.value))
        except ValidationError as failure:
            detail = failure.errors()[0]
            self.inputs[str(detail['loc'][0])].error = self._error_text(detail)
            return None

    def _error_text(self, detail: ErrorDetails) -> str:
        if detail['type'] == 'string_too_long':
            return self.ctx.t('personas.error.too_long', field=self.ctx.t(f'personas.{detail["loc"][0]}'),
                              max=detail.get('ctx', {}).get('max_length', ''))
        return self.ctx.t('personas.error.name_required')

    async def _store(self, fields: PersonaFields) -> Persona:
        service = self.ctx.services.personas
        if self.persona is None:
            return await service.create(self.ctx.user, fields)
        return await service.update(self.ctx.user, self.persona.id, PersonaUpdate(**fields.model_dump()))

    async def _store_avatar(self) -> bool:
        """Store the held picture; when it is refused, the persona stays saved and the dialog shows why."""
        assert self.persona is not None
        data, self.pending_avatar = self.pending_avatar, None
        if data is None:
            return True
        try:
            self.persona = await self.ctx.services.personas.set_avatar(self.ctx.user, self.persona.id, data)
        except TavernError as error:
            self.avatar.show_saved(avatar_url(self.persona.avatar_hash))
            self.avatar.show_error(self.ctx.error_text(error))
            return False
        return True

    async def _picture(self, data: bytes) -> None:
        """Hold the picture until Save; only the format is checked here, the rest when it is stored."""
        image_format = sniff_format(data)
        if image_format not in FORMATS:
            code = 'error.media.not_an_image' if image_format is None else 'error.media.unsupported_format'
            self.avatar.show_error(self.ctx.t(code))
            return
        self.pending_avatar = data
        self.avatar.show_pending(data, CONTENT_TYPES[FORMATS[image_format]])


def _excerpt(text: str) -> str:
    """The first words of a description, on one line."""
    text = ' '.join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH - 1].rstrip() + '…'
