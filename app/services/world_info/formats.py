"""Lorebook files: SillyTavern world JSON in and out, and recognising any lorebook file a user may upload.

A SillyTavern world file is `{"entries": {"<uid>": entry, ...}, ...}`; every other top-level key (`originalData`,
`name`, `description`, ...) is kept verbatim in `WorldBook.extra`, so reading and writing a file changes nothing.
(`originalData` stays as it was too, even after edits: `book_to_character_book` applies the edits to it.)

`parse_lorebook_file` accepts what SillyTavern's importer accepts (its world JSON, NovelAI, Agnai and RisuAI books,
a NovelAI PNG with a `naidata` chunk) plus a bare card `character_book` and a whole character card, JSON or PNG
(SillyTavern's "Import Card Lore"), and refuses anything else with a reason.
"""

from __future__ import annotations

import copy
import json
from pathlib import PurePath
from typing import Any

from ...errors import InvalidInputError
from ..card_formats.card_json import decode_embedded
from ..card_formats.png_card import read_png_card
from ..card_formats.png_chunks import is_png, text_chunks
from .card_book import book_from_character_book, book_to_character_book
from .entry import FIELDS_BY_ATTR, WorldBook, WorldEntry, entry_not_object
from .foreign_books import book_from_agnai, book_from_novelai, book_from_risu

MEGABYTE = 1024 * 1024
MAX_FILE_BYTES = 20 * MEGABYTE
MAX_ENTRIES = 50_000
MAX_NESTING = 100
CARD_ONLY_FIELDS = frozenset({'first_mes', 'char_name', 'char_persona', 'char_greeting'})
"""Fields that make a flat object a (V1 or Pygmalion) character card."""

__all__ = ['MAX_ENTRIES', 'MAX_FILE_BYTES', 'book_from_character_book', 'book_from_st', 'book_to_character_book',
           'book_to_st', 'parse_lorebook_file']


def book_from_st(data: dict[str, Any], name: str) -> WorldBook:
    """The book in a SillyTavern world object (`entries` keyed by uid; an array is tolerated)."""
    raw_entries = data.get('entries') if isinstance(data, dict) else None
    if isinstance(raw_entries, dict):
        items = list(raw_entries.items())
    elif isinstance(raw_entries, list):
        items = [(str(index), item) for index, item in enumerate(raw_entries)]
    else:
        raise not_a_lorebook()
    entries: list[WorldEntry] = []
    taken: set[int] = set()
    for key, item in items:
        if not isinstance(item, dict):
            raise entry_not_object(key)
        entry = WorldEntry.from_st(item)
        if 'uid' not in item:
            entry.uid = FIELDS_BY_ATTR['uid'].read(key, len(entries))
        if entry.uid in taken:
            entry.uid = max(taken) + 1
        taken.add(entry.uid)
        entries.append(entry)
    extra = {key: copy.deepcopy(value) for key, value in data.items() if key != 'entries'}
    return WorldBook(name=name, entries=entries, extra=extra)


def book_to_st(book: WorldBook) -> dict[str, Any]:
    """The SillyTavern world object for a book (entries keyed by uid, then the other top-level keys)."""
    result: dict[str, Any] = {'entries': {str(entry.uid): entry.to_st() for entry in book.entries}}
    result.update(copy.deepcopy(book.extra))
    return result


def parse_lorebook_file(raw: bytes, filename: str) -> WorldBook:
    """The lorebook in an uploaded file, whatever app wrote it; the book is named after the file (as SillyTavern
    does) unless the file is a card or card book with a name of its own."""
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInputError('error.world_info.too_large', f'The file is larger than {MAX_FILE_BYTES // MEGABYTE} '
                                'MB.', limit=MAX_FILE_BYTES // MEGABYTE)
    data = _png_object(raw) if is_png(raw) else _json_object(raw)
    stem = PurePath(filename).stem.strip() or 'Lorebook'
    book = _convert(data, stem)
    if not book.entries:
        raise InvalidInputError('error.world_info.empty', 'The lorebook has no entries.')
    if len(book.entries) > MAX_ENTRIES:
        raise InvalidInputError('error.world_info.too_many_entries',
                                f'The lorebook has more than {MAX_ENTRIES} entries.', limit=MAX_ENTRIES)
    return book


def _convert(data: dict[str, Any], stem: str) -> WorldBook:
    if 'lorebookVersion' in data:
        return book_from_novelai(data, stem)
    if data.get('kind') == 'memory':
        return book_from_agnai(data, stem)
    if data.get('type') == 'risu':
        return book_from_risu(data, stem)
    if isinstance(data.get('data'), dict) and ('spec' in data or 'name' in data['data']):
        return _book_of_card(data)
    if ('character_book' in data or CARD_ONLY_FIELDS & data.keys()) and 'entries' not in data:
        return _book_of_card({'data': data})
    if isinstance(data.get('entries'), dict):
        return book_from_st(data, stem)
    entries = data.get('entries')
    if isinstance(entries, list) and _holds_world_entries(entries):
        return book_from_st(data, stem)
    if isinstance(entries, list):
        return book_from_character_book(data, stem)
    raise not_a_lorebook()


def _holds_world_entries(entries: list[Any]) -> bool:
    """Whether an entry array holds SillyTavern world entries (`key`, `uid`) rather than card entries (`keys`)."""
    objects = [item for item in entries if isinstance(item, dict)]
    return any('key' in item or 'uid' in item for item in objects) and not any('keys' in item for item in objects)


def _book_of_card(card: dict[str, Any]) -> WorldBook:
    """The book inside a whole character card (V2/V3 `data.character_book`, or a V1 card's `character_book`)."""
    fields = card['data']
    book = fields.get('character_book')
    if not isinstance(book, dict) or not book.get('entries'):
        raise InvalidInputError('error.world_info.card_without_book',
                                'This is a character card without a lorebook; import the card as a character instead.')
    character = fields.get('name') if isinstance(fields.get('name'), str) and fields.get('name') else 'Character'
    return book_from_character_book(book, f"{character}'s Lorebook")


def _png_object(raw: bytes) -> dict[str, Any]:
    """The lorebook object of a PNG: a NovelAI lorebook in `naidata`, else the character card in the picture."""
    naidata = next((chunk.text for chunk in text_chunks(raw) if chunk.keyword.lower() == 'naidata'), None)
    return decode_embedded(naidata, 'naidata') if naidata is not None else read_png_card(raw)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode('utf-8-sig'), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise broken_json('not UTF-8 text') from None
    except json.JSONDecodeError as error:
        raise broken_json(error.msg) from None
    except (ValueError, RecursionError):
        raise broken_json('too deeply nested or holds NaN') from None
    if not isinstance(value, dict):
        raise not_a_lorebook()
    _check_nesting(value)
    return value


def _check_nesting(value: Any) -> None:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            raise broken_json('too deeply nested')
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children)


def broken_json(detail: str) -> InvalidInputError:
    return InvalidInputError('error.world_info.broken_json', f'The file is not valid JSON ({detail}).', detail=detail)


def not_a_lorebook() -> InvalidInputError:
    return InvalidInputError('error.world_info.not_a_lorebook',
                             'This file holds no lorebook: import a SillyTavern World Info file, a character card '
                             'with a lorebook, or an Agnai, NovelAI or RisuAI lorebook.')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f'{name} is not allowed')
