"""Card JSON as it is stored in files: plain UTF-8 JSON, or base64 of it inside a PNG text chunk.

Every failure names the problem (damaged base64, invalid JSON, not an object) so the user knows which file to fix.
NaN and Infinity are refused because PostgreSQL's JSON type cannot store them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ...errors import InvalidInputError

MAX_DEPTH = 100


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in `raw` (UTF-8, with or without a byte order mark)."""
    try:
        value = json.loads(raw.decode('utf-8-sig'), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise InvalidInputError('error.card.not_utf8', 'The card text is not UTF-8 encoded.') from None
    except (json.JSONDecodeError, ValueError, RecursionError) as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else \
            'too deeply nested' if isinstance(error, RecursionError) else str(error)
        raise InvalidInputError('error.card.broken_json', f'The card data is not valid JSON ({detail}).',
                                detail=detail) from None
    if not isinstance(value, dict):
        raise not_a_card()
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Refuse nesting deeper than any card needs, before recursive code (hashing, storing) meets it."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInputError('error.card.broken_json', 'The card data is not valid JSON (too deeply nested).',
                                    detail='too deeply nested')
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children)


def decode_embedded(text: str | None, keyword: str) -> dict[str, Any]:
    """The card object in a PNG text chunk: base64 of UTF-8 JSON (a few writers store the JSON itself)."""
    stripped = (text or '').strip()
    if stripped.startswith('{'):
        return parse_json_object(_original_bytes(stripped))
    compact = ''.join(stripped.split())
    try:
        raw = base64.b64decode(compact + '=' * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError('error.card.broken_base64',
                                f'The card data in the "{keyword}" chunk of this PNG is damaged (not valid base64).',
                                chunk=keyword) from None
    if not raw:
        raise InvalidInputError('error.card.broken_base64',
                                f'The card data in the "{keyword}" chunk of this PNG is damaged (not valid base64).',
                                chunk=keyword)
    return parse_json_object(raw)


def not_a_card() -> InvalidInputError:
    return InvalidInputError('error.card.not_a_card',
                             'This file holds no character card: it has neither card data nor a character name.')


def _original_bytes(text: str) -> bytes:
    """tEXt chunks are read as Latin-1 and iTXt chunks as UTF-8; this undoes either to get the bytes back."""
    try:
        return text.encode('latin-1')
    except UnicodeEncodeError:
        return text.encode('utf-8')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f'{name} is not allowed')
