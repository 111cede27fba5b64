"""Each user's SillyTavern presets: import, list, edit, rename, activate, export, delete.

A preset is stored as the SillyTavern JSON it came in as (`Preset.data`), so exporting an unedited preset gives the
same JSON back. Names are unique per user and kind: an import whose name is taken becomes "Name (2)" unless the
caller asks to replace the existing preset. At most one preset per kind is active, like SillyTavern's global
selection; the active chat-completion preset's prompt manager is what replies are built with.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import Preset, User
from ...db.types import utcnow
from ...errors import ConflictError, InvalidInputError, PayloadTooLargeError, TavernError
from ..downloads import Download, filename_stem
from ..ownership import load_owned
from .preset_kinds import CHAT_COMPLETION, KINDS, MAX_NAME, MEGABYTE, PresetPart, detect_kind, read_preset_file
from .prompt_manager import PromptManagerConfig, default_prompt_manager

PresetKind = Literal['chat_completion', 'textgen', 'kobold', 'instruct', 'context', 'sysprompt']
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
ImportStatus = Literal['imported', 'replaced', 'failed']


@dataclass(frozen=True)
class PresetFileLimits:
    max_file_bytes: int = 5 * MEGABYTE
    max_files: int = 50
    max_request_bytes: int = 25 * MEGABYTE

    def check_request_size(self, size: int) -> None:
        if size > self.max_request_bytes:
            megabytes = self.max_request_bytes // MEGABYTE
            raise PayloadTooLargeError('error.presets.request_too_large',
                                       f'The upload is larger than {megabytes} MB in total; send fewer files at once.',
                                       limit=megabytes)


class PresetSummary(BaseModel):
    """A preset in a list: everything but its JSON."""

    id: str
    kind: PresetKind
    name: str
    is_active: bool
    updated_at: datetime

    @classmethod
    def of(cls, preset: Preset) -> PresetSummary:
        return cls(id=preset.id, kind=preset.kind, name=preset.name,  # type: ignore[arg-type]
                   is_active=preset.is_active, updated_at=preset.updated_at)


class PresetRead(PresetSummary):
    """One preset with its SillyTavern JSON."""

    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, preset: Preset) -> PresetRead:
        return cls(**PresetSummary.of(preset).model_dump(), data=preset.data, created_at=preset.created_at)


class PresetCreate(BaseModel):
    kind: PresetKind
    name: Name
    data: dict[str, Any] = Field(description='The preset as SillyTavern saves it; it must be of the given kind.')
    is_active: bool = False


class PresetChanges(BaseModel):
    """A partial edit: every field left as None stays unchanged."""

    name: Name | None = None
    data: dict[str, Any] | None = Field(default=None, description='Replaces the whole SillyTavern JSON.')
    is_active: bool | None = Field(default=None, description='true makes this the active preset of its kind (the '
                                                             'previous one is no longer active).')


class PresetImportResult(BaseModel):
    """One preset's outcome (a master export gives three). On a failure `code`, `message` and `params` say why."""

    filename: str
    status: ImportStatus
    preset_id: str | None = None
    kind: PresetKind | None = None
    name: str | None = None
    code: str | None = None
    message: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class PresetImportReport(BaseModel):
    results: list[PresetImportResult]
    imported: int
    replaced: int
    failed: int

    @classmethod
    def of(cls, results: list[PresetImportResult]) -> PresetImportReport:
        counts = {status: sum(result.status == status for result in results)
                  for status in ('imported', 'replaced', 'failed')}
        return cls(results=results, imported=counts['imported'], replaced=counts['replaced'], failed=counts['failed'])


class PresetService:
    def __init__(self, db: Database, limits: PresetFileLimits | None = None) -> None:
        self.db = db
        self.limits = limits or PresetFileLimits()

    async def list(self, owner: User, kind: str | None = None) -> list[Preset]:
        """The owner's presets (of one kind when given), by kind, then by name."""
        statement = select(Preset).where(col(Preset.owner_id) == owner.id)
        if kind is not None:
            statement = statement.where(col(Preset.kind) == _known_kind(kind))
        statement = statement.order_by(col(Preset.kind), func.lower(col(Preset.name)), col(Preset.id))
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())

    async def get(self, owner: User, preset_id: str) -> Preset:
        async with self.db.session() as session:
            return await _load(session, owner, preset_id)

    async def active(self, owner: User, kind: str) -> Preset | None:
        """The owner's active preset of `kind`, or None."""
        statement = select(Preset).where(col(Preset.owner_id) == owner.id, col(Preset.kind) == _known_kind(kind),
                                         col(Preset.is_active).is_(True))
        async with self.db.session() as session:
            return (await session.exec(statement)).first()

    async def prompt_manager(self, owner: User) -> PromptManagerConfig:
        """The prompt manager replies use: the active chat-completion preset's, else SillyTavern's default."""
        preset = await self.active(owner, CHAT_COMPLETION)
        return PromptManagerConfig.from_st(preset.data) if preset else default_prompt_manager()

    async def import_file(self, owner: User, raw: bytes, filename: str, *,
                          replace: bool = False) -> list[PresetImportResult]:
        """Store the presets of one SillyTavern file: one result per preset, or one failed result saying why not."""
        try:
            parts = await asyncio.to_thread(read_preset_file, raw, filename, self.limits.max_file_bytes)
        except TavernError as error:
            return [_failed(filename, error)]
        return [await self._import_part(owner, filename, part, replace) for part in parts]

    async def create(self, owner: User, kind: str, name: str, data: dict[str, Any], *,
                     is_active: bool = False) -> Preset:
        """Add a preset; `data` must be a SillyTavern preset of `kind` and `name` must be free for that kind."""
        kind, name = _known_kind(kind), _clean_name(name)
        self._check_data(kind, data, name)
        async with self.db.session() as session:
            await _check_free(session, owner, kind, name)
            if is_active:
                await _deactivate_kind(session, owner, kind)
            preset = Preset(owner_id=owner.id, kind=kind, name=name, data=_named(data, name), is_active=is_active)
            session.add(preset)
            await _commit(session, kind, name)
            return preset

    async def change(self, owner: User, preset_id: str, changes: PresetChanges) -> Preset:
        """Apply a partial edit in one transaction (name, JSON, active mark)."""
        async with self.db.session() as session:
            preset = await _load(session, owner, preset_id)
            if changes.name is not None and changes.name != preset.name:
                await _check_free(session, owner, preset.kind, changes.name)
                preset.name = changes.name
            data = changes.data if changes.data is not None else preset.data
            if changes.data is not None:
                self._check_data(preset.kind, data, preset.name)
            preset.data = _named(data, preset.name)
            if changes.is_active and not preset.is_active:
                await _deactivate_kind(session, owner, preset.kind)
            if changes.is_active is not None:
                preset.is_active = changes.is_active
            preset.updated_at = utcnow()
            session.add(preset)
            await _commit(session, preset.kind, preset.name)
            return preset

    async def update(self, owner: User, preset_id: str, data: dict[str, Any]) -> Preset:
        """Replace the preset's SillyTavern JSON (it must stay the same kind)."""
        return await self.change(owner, preset_id, PresetChanges(data=data))

    async def rename(self, owner: User, preset_id: str, name: str) -> Preset:
        """Give the preset another name (its JSON `name` too, when it has one); a taken name is a `ConflictError`."""
        return await self.change(owner, preset_id, PresetChanges(name=_clean_name(name)))

    async def activate(self, owner: User, preset_id: str) -> Preset:
        """Make this the active preset of its kind; the one active before is no longer."""
        return await self.change(owner, preset_id, PresetChanges(is_active=True))

    async def deactivate(self, owner: User, preset_id: str) -> Preset:
        return await self.change(owner, preset_id, PresetChanges(is_active=False))

    async def delete(self, owner: User, preset_id: str) -> None:
        async with self.db.session() as session:
            await session.delete(await _load(session, owner, preset_id))
            await session.commit()

    async def export(self, owner: User, preset_id: str) -> Download:
        """The preset as the JSON file SillyTavern saves (four-space indent, UTF-8), named `<name>.json`."""
        preset = await self.get(owner, preset_id)
        content = json.dumps(preset.data, ensure_ascii=False, indent=4).encode('utf-8')
        return Download(f'{filename_stem(preset.name, "preset")}.json', 'application/json', content)

    async def _import_part(self, owner: User, filename: str, part: PresetPart, replace: bool) -> PresetImportResult:
        try:
            self._check_data(part.kind, part.data, part.name)
            preset, replaced = await self._store_import(owner, part, replace)
        except TavernError as error:
            return _failed(filename, error)
        return PresetImportResult(filename=filename, status='replaced' if replaced else 'imported', preset_id=preset.id,
                            kind=preset.kind, name=preset.name)  # type: ignore[arg-type]

    async def _store_import(self, owner: User, part: PresetPart, replace: bool) -> tuple[Preset, bool]:
        async with self.db.session() as session:
            existing = await _named_preset(session, owner, part.kind, part.name)
            if existing is not None and replace:
                existing.data = _named(part.data, existing.name)
                existing.updated_at = utcnow()
                session.add(existing)
                await session.commit()
                return existing, True
            name = part.name if existing is None else await _free_name(session, owner, part.kind, part.name)
            preset = Preset(owner_id=owner.id, kind=part.kind, name=name, data=_named(part.data, name))
            session.add(preset)
            await _commit(session, part.kind, name)
            return preset, False

    def _check_data(self, kind: str, data: dict[str, Any], name: str) -> None:
        size = len(json.dumps(data, ensure_ascii=False).encode('utf-8'))
        if size > self.limits.max_file_bytes:
            megabytes = self.limits.max_file_bytes // MEGABYTE
            raise PayloadTooLargeError('error.presets.too_large',
                                       f'{name} is larger than {megabytes} MB; presets are much smaller.',
                                       filename=name, limit=megabytes)
        found = detect_kind(data, name)
        if found != kind:
            raise InvalidInputError('error.presets.kind_mismatch',
                                    f'This JSON is a {found} preset, not a {kind} preset.', found=found, kind=kind)


async def _load(session: AsyncSession, owner: User, preset_id: str) -> Preset:
    return await load_owned(session, Preset, preset_id, owner, code='error.presets.not_found',
                            message='No such preset.')


def _known_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInputError('error.presets.bad_kind', f'"{kind}" is not a preset kind; use one of '
                                f'{", ".join(KINDS)}.', kind=kind, kinds=', '.join(KINDS))
    return kind


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInputError('error.presets.bad_name', f'A preset name has 1 to {MAX_NAME} characters.',
                                max=MAX_NAME)
    return name


def _named(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The JSON with its own `name` (instruct, context and system prompt presets have one) set to the preset's."""
    own = data.get('name')
    if isinstance(own, str) and own.strip() != name:
        return {**data, 'name': name}
    return data


async def _named_preset(session: AsyncSession, owner: User, kind: str, name: str) -> Preset | None:
    statement = select(Preset).where(col(Preset.owner_id) == owner.id, col(Preset.kind) == kind,
                                     col(Preset.name) == name)
    return (await session.exec(statement)).first()


async def _check_free(session: AsyncSession, owner: User, kind: str, name: str) -> None:
    if await _named_preset(session, owner, kind, name) is not None:
        raise _name_taken(kind, name)


async def _free_name(session: AsyncSession, owner: User, kind: str, name: str) -> str:
    """`name (2)`, `name (3)` … whichever is free first."""
    statement = select(Preset.name).where(col(Preset.owner_id) == owner.id, col(Preset.kind) == kind)
    taken = set((await session.exec(statement)).all())
    number = 2
    while (candidate := f'{name[:MAX_NAME - 8]} ({number})') in taken:
        number += 1
    return candidate


async def _deactivate_kind(session: AsyncSession, owner: User, kind: str) -> None:
    """Unmark the owner's active preset of `kind` and write that first, so the one-active index never sees two."""
    statement = select(Preset).where(col(Preset.owner_id) == owner.id, col(Preset.kind) == kind,
                                     col(Preset.is_active).is_(True))
    for row in (await session.exec(statement)).all():
        row.is_active = False
        session.add(row)
    await session.flush()


async def _commit(session: AsyncSession, kind: str, name: str) -> None:
    """Commit; a name taken by a concurrent request in the meantime is reported like any taken name."""
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise _name_taken(kind, name) from error


def _name_taken(kind: str, name: str) -> ConflictError:
    return ConflictError('error.presets.name_taken',
                         f'You already have a {kind} preset named "{name}". Choose another name.', kind=kind, name=name)


def _failed(filename: str, error: TavernError) -> PresetImportResult:
    return PresetImportResult(filename=filename, status='failed', code=error.code, message=error.message,
                        params=dict(error.params))
