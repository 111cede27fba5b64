"""Importing character card files into a user's library: one file, many files, or a zip of cards.

Every file gets its own result: imported (with the new character), duplicate (the library already holds a card with
the same content, see `content_hash`) or failed (with the reason). A file is parsed completely before anything is
stored, so a bad file leaves nothing behind. A card whose picture is refused (damaged, too many pixels) is still
imported, without the picture, and its result says why. A CharX's other files are stored by content and remembered
in the card (see `card_formats.charx`), so exporting it as CharX writes them back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..db.models import User
from ..errors import InvalidInputError, TavernError
from .card_formats import (
    CardFileLimits,
    KeptFiles,
    ParsedCard,
    SafeZip,
    adopt_icon,
    content_hash,
    open_card_archive,
    read_card_file,
    with_kept_files,
)
from .characters import CharacterService
from .lorebooks import LorebookService, card_lorebook
from .media import FORMATS, MediaStore, sniff_format

ImportStatus = Literal['imported', 'duplicate', 'failed']
MACOS_METADATA = '__MACOSX/'


class ImportResult(BaseModel):
    """One file's outcome. On a failure `code`, `message` and `params` give the reason; on an imported card they
    say why its picture was refused (the card was imported without it)."""

    filename: str
    status: ImportStatus
    character_id: str | None = None
    name: str | None = None
    code: str | None = None
    message: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class ImportReport(BaseModel):
    results: list[ImportResult]
    imported: int
    duplicates: int
    failed: int

    @classmethod
    def of(cls, results: list[ImportResult]) -> ImportReport:
        counts = {status: sum(result.status == status for result in results)
                  for status in ('imported', 'duplicate', 'failed')}
        return cls(results=results, imported=counts['imported'], duplicates=counts['duplicate'],
                   failed=counts['failed'])


class CardImportService:
    def __init__(self, characters: CharacterService, media: MediaStore, lorebooks: LorebookService,
                 limits: CardFileLimits | None = None) -> None:
        self.characters = characters
        self.media = media
        self.lorebooks = lorebooks
        self.limits = limits or CardFileLimits()

    async def import_files(self, owner: User, files: Sequence[tuple[str, bytes]]) -> ImportReport:
        """Import each (file name, content) pair in turn; one failure does not stop the others."""
        if len(files) > self.limits.max_files:
            raise InvalidInputError('error.card.too_many_files',
                                    f'Import at most {self.limits.max_files} files at once.',
                                    limit=self.limits.max_files)
        results: list[ImportResult] = []
        for filename, data in files:
            results.extend(await self.import_file(owner, filename, data))
        return ImportReport.of(results)

    async def import_file(self, owner: User, filename: str, data: bytes) -> list[ImportResult]:
        """The results for one uploaded file: one result, or one per card file in a zip of cards."""
        try:
            archive = await asyncio.to_thread(open_card_archive, data, self.limits)
        except TavernError as error:
            return [_failed(filename, error)]
        if archive is None:
            return [await self._import_card(owner, filename, data)]
        return await self._import_archive(owner, filename, archive)

    async def _import_archive(self, owner: User, filename: str, archive: SafeZip) -> list[ImportResult]:
        results = []
        for name in archive.names:
            if _is_metadata(name):
                continue
            entry_name = f'{filename}/{name}'
            try:
                data = await asyncio.to_thread(archive.read, name)
                if await asyncio.to_thread(open_card_archive, data, self.limits) is not None:
                    raise InvalidInputError('error.card.nested_zip',
                                            'A zip inside the zip was skipped: put all cards into one zip.')
            except TavernError as error:
                results.append(_failed(entry_name, error))
                continue
            results.append(await self._import_card(owner, entry_name, data))
        return results

    async def _import_card(self, owner: User, filename: str, data: bytes) -> ImportResult:
        try:
            parsed = await asyncio.to_thread(read_card_file, data, filename, self.limits)
            card = _with_adopted_icon(parsed)
            existing = await self.characters.find_by_content(owner, content_hash(card))
            if existing is not None:
                return ImportResult(filename=filename, status='duplicate', character_id=existing.id,
                                    name=existing.name)
            book = await asyncio.to_thread(card_lorebook, card)
            avatar_hash, warning = await self._store_picture(parsed.picture)
            stored = await self._with_charx_files(card if avatar_hash else parsed.card, parsed, avatar_hash)
            character = await self.characters.import_card(owner, stored, avatar_hash)
            if book is not None:
                await self.lorebooks.add_book(owner, book, character_id=character.id)
        except TavernError as error:
            return _failed(filename, error)
        result = ImportResult(filename=filename, status='imported', character_id=character.id, name=character.name)
        return result.model_copy(update=_problem(warning)) if warning else result

    async def _with_charx_files(self, card: dict[str, Any], parsed: ParsedCard,
                                avatar_hash: str | None) -> dict[str, Any]:
        """The card remembering its CharX files, each stored by content; the icon file that became the avatar is
        remembered as the icon instead (the avatar already holds its bytes)."""
        if not parsed.files:
            return card
        icon_index = parsed.icon_index if avatar_hash is not None else None
        files = {path: await self.media.store_asset(data) for path, data in parsed.files.items()
                 if icon_index is None or path != parsed.icon_path}
        icon = parsed.card['data']['assets'][icon_index] if icon_index is not None else None
        return with_kept_files(card, KeptFiles(files, icon, avatar_hash if icon is not None else None))

    async def _store_picture(self, picture: bytes | None) -> tuple[str | None, TavernError | None]:
        """The stored avatar's hash, or no avatar and the reason the picture was refused."""
        if picture is None:
            return None, None
        try:
            return await self.media.store_avatar(picture), None
        except TavernError as error:
            return None, error


def _is_metadata(name: str) -> bool:
    """Entries that zip tools add beside the real files: macOS resource forks and hidden files."""
    return name.startswith(MACOS_METADATA) or name.rsplit('/', 1)[-1].startswith('.')


def _with_adopted_icon(parsed: ParsedCard) -> dict[str, Any]:
    """The card as it will be stored when its CharX icon becomes the avatar."""
    image_format = sniff_format(parsed.picture) if parsed.picture else None
    if parsed.icon_index is None or image_format not in FORMATS:
        return parsed.card
    return adopt_icon(parsed.card, parsed.icon_index, FORMATS[image_format])


def _failed(filename: str, error: TavernError) -> ImportResult:
    return ImportResult(filename=filename, status='failed', **_problem(error))


def _problem(error: TavernError) -> dict[str, Any]:
    return {'code': error.code, 'message': error.message, 'params': dict(error.params)}
