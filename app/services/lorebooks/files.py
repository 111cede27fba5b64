"""Lorebooks in and out: importing world files (SillyTavern, Agnai, NovelAI, RisuAI, card books), exporting a book
as SillyTavern world JSON or as a Card V2 `character_book`, and the lorebook embedded in a character card.

A card's embedded book becomes a lorebook bound to the character when the card is imported; the card itself is not
changed. When the card is exported again, its `character_book` is the bound book converted back, but only if that
book no longer matches the card's own book: an untouched card leaves exactly as it came.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import Character, Lorebook, LorebookBinding, LorebookEntry, User
from ...errors import InvalidInputError, TavernError
from ..downloads import Download, filename_stem
from ..world_info import (
    WorldBook,
    book_from_character_book,
    book_to_character_book,
    book_to_st,
    parse_lorebook_file,
)
from .books import free_name, load_book
from .entry_rows import entry_of, new_row
from .schemas import LorebookImportReport, LorebookImportResult

MAX_IMPORT_FILES = 100
FALLBACK_STEM = 'lorebook'
JSON_TYPE = 'application/json'


class LorebookFiles:
    db: Database

    async def import_files(self, owner: User, files: Sequence[tuple[str, bytes]]) -> LorebookImportReport:
        """Import each (file name, content) pair; one bad file does not stop the others."""
        if len(files) > MAX_IMPORT_FILES:
            raise too_many_files()
        return LorebookImportReport.of([await self.import_file(owner, name, data) for name, data in files])

    async def import_file(self, owner: User, filename: str, data: bytes) -> LorebookImportResult:
        """One uploaded file as a new book, named after the file (or the card) and numbered if the name is taken."""
        try:
            parsed = await asyncio.to_thread(parse_lorebook_file, data, filename)
            book = await self.add_book(owner, parsed)
        except TavernError as error:
            return LorebookImportResult(filename=filename, status='failed', code=error.code, message=error.message,
                                        params=dict(error.params))
        return LorebookImportResult(filename=filename, status='imported', lorebook_id=book.id, name=book.name,
                                    entries=len(parsed.entries))

    async def add_book(self, owner: User, book: WorldBook, *, character_id: str | None = None) -> Lorebook:
        """Store a parsed book under a free name; with `character_id` it becomes that character's primary book."""
        description = book.extra.get('description')
        async with self.db.session() as session:
            stored = Lorebook(owner_id=owner.id, name=await free_name(session, owner, book.name),
                              description=description if isinstance(description, str) else '',
                              extra=copy.deepcopy(book.extra))
            session.add(stored)
            await session.flush()
            session.add_all(new_row(stored.id, entry, index if entry.display_index is None else entry.display_index)
                            for index, entry in enumerate(book.entries))
            if character_id is not None:
                session.add(LorebookBinding(owner_id=owner.id, lorebook_id=stored.id, scope='character',
                                            character_id=character_id))
            await session.commit()
            return stored

    async def world_book(self, owner: User, book_id: str) -> WorldBook:
        """The stored book as a `WorldBook` (its description as a top-level key when it has one)."""
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            return await _world_book(session, book)

    async def export_world(self, owner: User, book_id: str) -> Download:
        """The book as a SillyTavern World Info file."""
        book = await self.world_book(owner, book_id)
        return _json_download(f'{filename_stem(book.name, FALLBACK_STEM)}.json', book_to_st(book))

    async def export_character_book(self, owner: User, book_id: str) -> Download:
        """The book as a Card V2 `character_book` object, ready to paste into a card."""
        book = await self.world_book(owner, book_id)
        return _json_download(f'{filename_stem(book.name, FALLBACK_STEM)}.character_book.json',
                              book_to_character_book(book))

    async def card_book_for_export(self, owner: User, character: Character) -> dict[str, Any] | None:
        """The `character_book` an exported card should carry instead of its own: the character's primary book
        converted back when it differs from the card's book; None to export the card as it is."""
        async with self.db.session() as session:
            statement = select(Lorebook).join(LorebookBinding, col(LorebookBinding.lorebook_id) == col(Lorebook.id)) \
                .where(col(LorebookBinding.owner_id) == owner.id, col(LorebookBinding.character_id) == character.id) \
                .order_by(col(LorebookBinding.position), col(LorebookBinding.created_at)).limit(1)
            primary = (await session.exec(statement)).first()
            if primary is None:
                return None
            book = await _world_book(session, primary)
        card_book = _embedded_book(character.card)
        if card_book is not None and _same_entries(book, card_book):
            return None
        return await asyncio.to_thread(book_to_character_book, book)


def card_lorebook(card: dict[str, Any]) -> WorldBook | None:
    """The lorebook embedded in a card (its `character_book`, named after it or "<character>'s Lorebook"), or None;
    raises `InvalidInputError` when an entry cannot be used."""
    card_book = _embedded_book(card)
    if card_book is None:
        return None
    return book_from_character_book(card_book, f"{card['data'].get('name') or 'Character'}'s Lorebook")


async def _world_book(session: AsyncSession, book: Lorebook) -> WorldBook:
    """The stored book in uid order, the order SillyTavern writes (a JavaScript object's numeric keys ascend)."""
    statement = select(LorebookEntry).where(col(LorebookEntry.lorebook_id) == book.id) \
        .order_by(col(LorebookEntry.uid))
    rows = (await session.exec(statement)).all()
    extra = copy.deepcopy(book.extra)
    if book.description or 'description' in extra:
        extra['description'] = book.description
    return WorldBook(name=book.name, entries=[entry_of(row) for row in rows], extra=extra)


def _embedded_book(card: dict[str, Any]) -> dict[str, Any] | None:
    data = card.get('data')
    card_book = data.get('character_book') if isinstance(data, dict) else None
    return card_book if isinstance(card_book, dict) and card_book.get('entries') else None


def _same_entries(book: WorldBook, card_book: dict[str, Any]) -> bool:
    """Whether the stored entries are exactly what importing the card's book gives."""
    try:
        original = book_from_character_book(card_book)
    except InvalidInputError:
        return False
    return _by_uid(original) == _by_uid(book)


def _by_uid(book: WorldBook) -> list[dict[str, Any]]:
    return [entry.to_st() for entry in sorted(book.entries, key=lambda entry: entry.uid)]


def _json_download(filename: str, document: dict[str, Any]) -> Download:
    return Download(filename, JSON_TYPE, json.dumps(document, ensure_ascii=False, indent=4).encode('utf-8'))


def too_many_files() -> InvalidInputError:
    return InvalidInputError('error.lorebook.too_many_files', f'Import at most {MAX_IMPORT_FILES} files at once.',
                             limit=MAX_IMPORT_FILES)
