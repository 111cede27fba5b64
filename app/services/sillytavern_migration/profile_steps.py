"""Presets and personas of a SillyTavern folder.

Presets come from the preset folders (`OpenAI Settings/`, `TextGen Settings/`, `KoboldAI Settings/`, `instruct/`,
`context/`, `sysprompt/`); each file is read by the preset service, which tells its kind from its keys (a master
export gives three presets). A preset is skipped when the account has the same JSON under its name or a numbered
copy of it; otherwise it is stored, as "Name (2)" when the name is taken by another preset of that kind.

Personas come from `settings.json` (`power_user.personas`: picture file → name, `persona_descriptions`,
`default_persona`) with their pictures from `User Avatars/`. A persona is skipped when one with the same name,
description and picture is here. Its lorebook is bound to it; its description position and depth are not kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...db.models import Persona, Preset
from ...errors import InvalidInputError, TavernError
from ..personas import PersonaFields
from ..presets import PresetPart, read_preset_file
from ..presets.preset_kinds import MAX_NAME as MAX_PRESET_NAME
from .report import MigrationItem, Reason
from .run_base import RunBase, Step, StepOutcome, is_copy_name, missing_books, note, object_of

IN_PROMPT = 0  # SillyTavern's persona description position "in the prompt", the only one kept


class ProfileSteps(RunBase):
    # Presets

    def preset_steps(self) -> list[Step]:
        return [self.step('preset', path, path.stem, self._preset) for path in self.layout.preset_files()]

    async def _preset(self, step: Step, path: Path) -> list[MigrationItem]:
        parts = await asyncio.to_thread(read_preset_file, await self.read(path), path.name,
                                        self.service.presets.limits.max_file_bytes)
        return [await self._preset_part(step, part) for part in parts]

    async def _preset_part(self, step: Step, part: PresetPart) -> MigrationItem:
        existing = await self._existing_presets()
        same_kind = [preset for preset in existing if preset.kind == part.kind]
        label = f'{part.name} ({part.kind})'
        match = next((preset for preset in same_kind
                      if is_copy_name(preset.name, part.name) and _same_preset(preset.data, part.data)), None)
        if match is not None:
            return step.item('skipped', name=label, target_id=match.id)
        name = _free_name(part.name, {preset.name for preset in same_kind})
        try:
            preset = await self.service.presets.create(self.owner, part.kind, name, part.data)
        except TavernError as error:
            return step.item('failed', name=label, reason=Reason.of(error))
        existing.append(preset)
        return step.item('imported', name=f'{preset.name} ({preset.kind})', target_id=preset.id)

    async def _existing_presets(self) -> list[Preset]:
        if self.presets is None:
            self.presets = await self.service.presets.list(self.owner)
        return self.presets

    # Personas

    def persona_steps(self) -> list[Step]:
        power_user = object_of(self.settings.get('power_user'))
        descriptions = object_of(power_user.get('persona_descriptions'))
        default = power_user.get('default_persona')
        if any(object_of(entry).get('position') not in (None, IN_PROMPT) for entry in descriptions.values()):
            self.notes.append(note('migration.note.persona_position', 'Persona descriptions are added to the '
                                   'prompt in the usual place; their SillyTavern position and depth are not kept.'))
        return [Step('persona', f'User Avatars/{avatar}', str(name),
                     self._persona_migration(avatar, str(name), object_of(descriptions.get(avatar)), avatar == default))
                for avatar, name in object_of(power_user.get('personas')).items()]

    def _persona_migration(self, avatar: str, name: str, descriptor: dict[str, Any],
                           is_default: bool) -> Callable[[Step], Awaitable[StepOutcome]]:
        return lambda step: self._persona(step, avatar, name, descriptor, is_default)

    async def _persona(self, step: Step, avatar: str, name: str, descriptor: dict[str, Any],
                       is_default: bool) -> MigrationItem:
        try:
            fields = PersonaFields(name=name, description=str(descriptor.get('description') or ''),
                                   is_default=is_default)
        except ValidationError as error:
            raise _invalid_persona(error) from None
        picture, digest, picture_problem = await self._persona_picture(avatar)
        personas = await self._existing_personas()
        existing = next((persona for persona in personas if (persona.name, persona.description, persona.avatar_hash)
                         == (fields.name, fields.description, digest)), None)
        if existing is not None:
            return step.item('skipped', name=existing.name, target_id=existing.id)
        persona = await self.service.personas.create(self.owner, fields)
        if picture is not None:
            persona = await self.service.personas.set_avatar(self.owner, persona.id, picture)
        personas.append(persona)
        book_problem = await self._bind_persona_book(persona.id, descriptor.get('lorebook'))
        return step.item('imported', name=persona.name, target_id=persona.id, reason=picture_problem or book_problem)

    async def _persona_picture(self, avatar: str) -> tuple[bytes | None, str | None, Reason | None]:
        """The picture and its stored hash, or why the persona comes without one (missing or refused)."""
        path = self.layout.persona_avatar(avatar)
        if path is None:
            return None, None, note('error.migration.persona_avatar_missing', 'Imported without its picture: '
                                    f'User Avatars/{avatar} is missing.', file=avatar)
        try:
            picture = await self.read(path)
            return picture, await self.service.media.store_avatar(picture), None
        except TavernError as error:
            return None, None, note('error.migration.persona_avatar_refused', 'Imported without its picture: '
                                    f'{error.message}', reason=error.message)

    async def _bind_persona_book(self, persona_id: str, world: Any) -> Reason | None:
        if not isinstance(world, str) or not world:
            return None
        book_id = await self.book_id(world)
        if book_id is None:
            return Reason.of(missing_books([world]))
        try:
            await self.service.lorebooks.set_persona_book(self.owner, persona_id, book_id)
        except TavernError as error:
            return Reason.of(error)
        return None

    async def _existing_personas(self) -> list[Persona]:
        if self.personas is None:
            self.personas = await self.service.personas.list(self.owner)
        return self.personas


def _same_preset(stored: dict[str, Any], imported: dict[str, Any]) -> bool:
    """The same preset JSON, apart from its own `name` (which follows the preset's name when stored)."""
    return {**stored, 'name': None} == {**imported, 'name': None}


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, else the first of `name (2)`, `name (3)` … that is free (the preset import's rule)."""
    if name not in taken:
        return name
    number = 2
    while (candidate := f'{name[:MAX_PRESET_NAME - 8]} ({number})') in taken:
        number += 1
    return candidate


def _invalid_persona(error: ValidationError) -> InvalidInputError:
    first = error.errors()[0]
    field = '.'.join(str(part) for part in first['loc'])
    return InvalidInputError('error.migration.persona_invalid', f'The persona cannot be imported: {field}: '
                             f'{first["msg"]}.', field=field, reason=first['msg'])
