"""What every part of a migration run shares: the steps it is made of, the state it builds up as items are migrated
(which character each card file became, which lorebook each world file became), and small helpers."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...db.models import Persona, Preset, User
from ...errors import InvalidInputError, TavernError
from .folder_layout import CARD_SUFFIXES, FolderLayout
from .report import ItemKind, ItemStatus, MigrationItem, Reason

if TYPE_CHECKING:
    from ..lorebooks.schemas import LorebookRead
    from .migration import MigrationService

StepOutcome = MigrationItem | list[MigrationItem]


@dataclass(frozen=True)
class Step:
    """One item still to migrate: what it is, where it is, and the coroutine that migrates it (a step may give
    several items: a master preset export holds three presets)."""

    kind: ItemKind
    source: str
    name: str
    run: Callable[[Step], Awaitable[StepOutcome]]

    def item(self, status: ItemStatus, *, name: str | None = None, target_id: str | None = None,
             reason: Reason | None = None, source: str | None = None) -> MigrationItem:
        return MigrationItem(kind=self.kind, source=source or self.source, name=name or self.name, status=status,
                             target_id=target_id, reason=reason)


class RunBase:
    """The state of one run, filled in as items are migrated, in the order `MigrationRun.plan` gives them."""

    def __init__(self, service: MigrationService, owner: User, layout: FolderLayout) -> None:
        self.service = service
        self.owner = owner
        self.layout = layout
        self.settings: dict[str, Any] = {}
        self.notes: list[Reason] = []
        self.character_ids: dict[str, str] = {}  # card file name without extension → character id
        self.linked_worlds: dict[str, list[str]] = {}  # world name → characters whose card links it
        self.world_ids: dict[str, str] = {}  # world file name without extension → lorebook id
        self.books: list[LorebookRead] | None = None
        self.chat_digests: dict[str, dict[str, str]] = {}
        self.personas: list[Persona] | None = None
        self.presets: list[Preset] | None = None

    def step(self, kind: ItemKind, path: Path, name: str, migrate: Callable[..., Awaitable[StepOutcome]],
             *args: Any) -> Step:
        """The step for the file at `path`; it runs `migrate(step, path, *args)`."""
        return Step(kind, self.layout.relative(path), name, lambda step: migrate(step, path, *args))

    async def read(self, path: Path) -> bytes:
        self.service.limits.check_file_size(path.stat().st_size)
        return await asyncio.to_thread(path.read_bytes)

    def character_for(self, file_stem: str) -> str | None:
        """The character migrated from `characters/<file_stem>.*` (ignoring case, as on Windows)."""
        if file_stem in self.character_ids:
            return self.character_ids[file_stem]
        folded = file_stem.casefold()
        return next((found for stem, found in self.character_ids.items() if stem.casefold() == folded), None)

    async def book_id(self, name: str) -> str | None:
        """The lorebook SillyTavern calls `name`: the one its world file became, else one of that name here."""
        if name in self.world_ids:
            return self.world_ids[name]
        return next((book.id for book in await self.existing_books() if book.name == name), None)

    async def existing_books(self) -> list[LorebookRead]:
        if self.books is None:
            self.books = await self.service.lorebooks.list(self.owner)
        return self.books


def note(code: str, message: str, **params: Any) -> Reason:
    return Reason(code=code, message=message, params=params)


def failing(error: TavernError) -> Callable[[Step], Awaitable[StepOutcome]]:
    """A step body that fails with `error` (for a file found unreadable while planning)."""
    async def fail(_step: Step) -> StepOutcome:
        raise error
    return fail


def read_json_object(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_bytes().decode('utf-8-sig'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise InvalidInputError('error.migration.bad_json', f'{path.name} is not valid JSON.', file=path.name)
    return value


def object_of(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (settings.json fields may be missing or null)."""
    return value if isinstance(value, dict) else {}


def card_stem(name: str) -> str:
    """A character's card file name without its extension, as SillyTavern names chat folders and refers to cards
    (only a card extension is removed: "Dr. Light" stays "Dr. Light")."""
    return name[:-len(suffix)] if (suffix := Path(name).suffix.lower()) in CARD_SUFFIXES else name


def is_copy_name(name: str, original: str) -> bool:
    """`name` is `original`, or a numbered copy of it ("Default (2)"), as imports name things whose name is taken."""
    return name == original or re.fullmatch(re.escape(original) + r' \(\d+\)', name) is not None


def missing_books(names: list[str]) -> InvalidInputError:
    joined = ', '.join(names)
    return InvalidInputError('error.migration.lorebooks_missing',
                             f'These lorebooks are neither in the folder nor in your account: {joined}.',
                             names=joined)
