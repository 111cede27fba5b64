"""The character editor: every Character Card V2/V3 field, the avatar, save, delete and an unsaved-changes guard.

`/characters/new` creates a character (a picture chosen before the first save is applied right after it);
`/characters/{id}` edits one of the user's own characters, anyone else's id reads as "not found".
"""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui import ui
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.db.models import Character
from app.errors import NotFoundError, TavernError
from app.services.character_card import CharacterFields, CharacterUpdate, fields_of
from app.services.media import CONTENT_TYPES, FORMATS, avatar_url, sniff_format
from components.avatar_picker import AvatarPicker
from components.card_export_menu import card_export_menu
from components.character_notes_editor import character_notes_editor
from components.confirm_dialog import confirm
from components.greetings_editor import GreetingsEditor
from components.lorebook_pickers import character_lorebooks
from components.page_context import PageContext
from components.plugin_slot import plugin_slot_later, slot_target
from components.unsaved_changes import UnsavedChangesGuard

from .registry import page

SECTIONS: list[tuple[str, list[str]]] = [
    ('editor.section.identity', ['name', 'nickname', 'description', 'personality', 'scenario']),
    ('editor.section.greetings', ['first_mes', 'alternate_greetings']),
    ('editor.section.examples', ['mes_example']),
    ('editor.section.prompts', ['system_prompt', 'post_history_instructions']),
    ('editor.section.about', ['creator_notes', 'tags', 'creator', 'character_version']),
]
SINGLE_LINE_FIELDS = frozenset({'name', 'nickname', 'creator', 'character_version'})
TOO_LONG_ERRORS = frozenset({'string_too_long', 'too_long'})


@page('/characters/new', title_key='editor.title.new')
async def new_character_page(ctx: PageContext) -> None:
    CharacterEditor(ctx, None)


@page('/characters/{character_id}', title_key='editor.title')
async def character_editor_page(ctx: PageContext, character_id: str, avatar_refused: str = '') -> None:
    try:
        character = await ctx.services.characters.get(ctx.user, character_id)
    except NotFoundError:
        _not_found(ctx)
        return
    editor = CharacterEditor(ctx, character)
    await character_lorebooks(ctx, character.id)
    await character_notes_editor(ctx, character.id)
    if avatar_refused:
        editor.avatar.show_error(ctx.t('editor.avatar.refused_after_create'))


class CharacterEditor:
    """The form for one character (or a new one), tracking which values differ from the stored ones."""

    def __init__(self, ctx: PageContext, character: Character | None) -> None:
        self.ctx = ctx
        self.character = character
        self.saved = _stored_values(character)
        self.pending_avatar: bytes | None = None
        self.saving = asyncio.Lock()
        self.inputs: dict[str, Any] = {}
        self._toolbar()
        with ui.element('div').classes('w-full grid grid-cols-1 md:grid-cols-[auto_1fr] gap-4'):
            with ui.column().classes('items-center w-full md:w-auto'):
                self.avatar = AvatarPicker(ctx, self.saved['name'], avatar_url(character and character.avatar_hash),
                                           self._picture)
            with ui.column().classes('w-full gap-4 min-w-0'):
                for title_key, names in SECTIONS:
                    self._section(title_key, names)
        ui.button(ctx.t('editor.save'), icon='save', on_click=self.save).classes('self-end').mark('editor-save-bottom')

    def _toolbar(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            ui.button(t('editor.back'), icon='arrow_back', on_click=self.leave).props('flat').mark('editor-back')
            self.title = ui.label(self.character.name if self.character else t('editor.title.new')) \
                .classes('text-2xl font-bold break-all').mark('editor-title')
            self.guard = UnsavedChangesGuard(t('editor.unsaved'))
            ui.space()
            if self.character is not None:
                ui.button(t('editor.delete'), icon='delete', on_click=self.delete).props('flat color=negative') \
                    .mark('editor-delete')
                ui.button(t('chat.open'), icon='chat',
                          on_click=lambda: ui.navigate.to(f'/characters/{self.character.id}/chat')).props('outline') \
                    .mark('editor-chat')
                card_export_menu(self.ctx, self.character.id)
                plugin_slot_later(self.ctx, 'character.page.actions',
                                  slot_target(self.ctx, 'character.page.actions', character_id=self.character.id))
            ui.button(t('editor.save'), icon='save', on_click=self.save).mark('editor-save')

    def _section(self, title_key: str, names: list[str]) -> None:
        with ui.card().classes('w-full gap-3'):
            ui.label(self.ctx.t(title_key)).classes('text-lg font-bold')
            for name in names:
                self._field(name)

    def _field(self, name: str) -> None:
        t = self.ctx.t
        label, hint, value = t(f'editor.field.{name}'), t(f'editor.hint.{name}'), self.saved[name]
        if name == 'alternate_greetings':
            ui.label(label).classes('font-medium')
            ui.label(hint).classes('text-xs opacity-70')
            self.greetings = GreetingsEditor(self.ctx, value, self._changed)
            return
        if name == 'tags':
            element = ui.input_chips(label, value=list(value), new_value_mode='add-unique', on_change=self._changed)
        elif name in SINGLE_LINE_FIELDS:
            element = ui.input(label, value=value, on_change=self._changed)
        else:
            element = ui.textarea(label, value=value, on_change=self._changed).props('autogrow')
        element.props('outlined').classes('w-full').mark(f'field-{name}')
        element.props['hint'] = hint
        if name == 'name' and self.character is None:
            element.props('autofocus')
        self.inputs[name] = element

    def current_values(self) -> dict[str, Any]:
        """The form's values in the shape of `CharacterFields`, not yet validated."""
        values: dict[str, Any] = {name: element.value or ([] if name == 'tags' else '')
                                  for name, element in self.inputs.items()}
        values['alternate_greetings'] = list(self.greetings.value)
        return values

    def _changed(self) -> None:
        self.guard.set_dirty(self.current_values() != self.saved or self.pending_avatar is not None)

    async def save(self) -> None:
        """Create or update the character; a second click while saving is ignored (no duplicate characters)."""
        fields = self._validated()
        if fields is None or self.saving.locked():
            return
        async with self.saving:
            try:
                if self.character is None:
                    await self._create(fields)
                else:
                    await self._update(fields)
            except TavernError as error:
                ui.notify(self.ctx.error_text(error), type='negative')

    def _validated(self) -> CharacterFields | None:
        """The form as `CharacterFields`, or None after marking the fields that are wrong."""
        for element in self.inputs.values():
            element.error = None
        try:
            return CharacterFields(**self.current_values())
        except ValidationError as failure:
            messages = [self._show_field_error(detail) for detail in failure.errors()]
            ui.notify(messages[0], type='negative')
            return None

    def _show_field_error(self, detail: ErrorDetails) -> str:
        name = str(detail['loc'][0]) if detail['loc'] else ''
        field = self.ctx.t(f'editor.field.{name}')
        if detail['type'] == 'string_too_short':
            text = self.ctx.t('editor.error.required', field=field)
        elif detail['type'] in TOO_LONG_ERRORS:
            text = self.ctx.t('editor.error.too_long', field=field, max=detail.get('ctx', {}).get('max_length', ''))
        else:
            text = self.ctx.t('editor.error.invalid', field=field, detail=detail['msg'])
        if name in self.inputs:
            self.inputs[name].error = text
        return text

    async def _create(self, fields: CharacterFields) -> None:
        service = self.ctx.services.characters
        character = await service.create(self.ctx.user, fields)
        target = f'/characters/{character.id}'
        if self.pending_avatar is not None:
            try:
                await service.set_avatar(self.ctx.user, character.id, self.pending_avatar)
            except TavernError:
                target += '?avatar_refused=1'
        await self.guard.release()
        ui.navigate.to(target)

    async def _update(self, fields: CharacterFields) -> None:
        assert self.character is not None
        changes = {name: value for name, value in fields.model_dump().items() if value != self.saved[name]}
        if changes:
            self.character = await self.ctx.services.characters.update(self.ctx.user, self.character.id,
                                                                       CharacterUpdate(**changes))
        self.saved = _stored_values(self.character)
        self._show_values()
        self.title.text = self.character.name
        ui.notify(self.ctx.t('editor.saved'), type='positive')

    def _show_values(self) -> None:
        """Put the stored (normalised) values back into the form, which then has no unsaved changes."""
        for name, element in self.inputs.items():
            element.value = list(self.saved[name]) if name == 'tags' else self.saved[name]
        self.greetings.set_value(self.saved['alternate_greetings'])
        self._changed()

    async def _picture(self, data: bytes) -> None:
        if self.character is None:
            self._hold_picture(data)
            return
        try:
            self.character = await self.ctx.services.characters.set_avatar(self.ctx.user, self.character.id, data)
        except TavernError as error:
            self.avatar.show_error(self.ctx.error_text(error))
            return
        self.avatar.show_saved(avatar_url(self.character.avatar_hash))
        ui.notify(self.ctx.t('editor.avatar.saved'), type='positive')

    def _hold_picture(self, data: bytes) -> None:
        """Keep a new character's picture until the first save; only the format is checked here."""
        image_format = sniff_format(data)
        if image_format not in FORMATS:
            self.avatar.show_error(self.ctx.t('editor.avatar.unsupported'))
            return
        self.pending_avatar = data
        self.avatar.show_pending(data, CONTENT_TYPES[FORMATS[image_format]])
        self._changed()

    async def delete(self) -> None:
        assert self.character is not None
        t = self.ctx.t
        if not await confirm(t('editor.delete.question', name=self.character.name), ok_label=t('editor.delete'),
                             cancel_label=t('editor.cancel'), danger=True):
            return
        try:
            await self.ctx.services.characters.delete(self.ctx.user, self.character.id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        await self.guard.release()
        ui.notify(t('editor.deleted', name=self.character.name))
        ui.navigate.to('/')

    async def leave(self) -> None:
        """Back to the library, asking first when there are unsaved changes."""
        t = self.ctx.t
        if self.guard.dirty and not await confirm(t('editor.leave.question'), ok_label=t('editor.leave.discard'),
                                                  cancel_label=t('editor.leave.stay')):
            return
        await self.guard.release()
        ui.navigate.to('/')


def _stored_values(character: Character | None) -> dict[str, Any]:
    """The stored fields of `character` (a blank form for a new one), as plain values."""
    if character is None:
        return CharacterFields.model_construct(name='').model_dump()
    return fields_of(character.card).model_dump()


def _not_found(ctx: PageContext) -> None:
    ui.context.client.status_code = 404
    with ui.card().classes('mx-auto mt-8 gap-3').mark('not-found'):
        ui.label(ctx.t('editor.not_found')).classes('text-lg')
        ui.link(ctx.t('editor.back'), '/')
