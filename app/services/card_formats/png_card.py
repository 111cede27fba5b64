"""Character cards inside PNG pictures, read and written the way SillyTavern does.

Reading prefers the `ccv3` text chunk and falls back to `chara` when `ccv3` is missing or damaged (tEXt, zTXt and
iTXt chunks all count). Writing replaces both with a `chara` chunk holding the V2 JSON and a `ccv3` chunk holding
the V3 JSON, base64-encoded, just before IEND; the picture's own chunks are kept byte for byte.
"""

from __future__ import annotations

import base64
import io
import json
from functools import cache
from typing import Any

from PIL import Image

from ...errors import InvalidInputError
from .card_json import decode_embedded
from .png_chunks import is_png, text_chunks, with_text_chunks

CARD_KEYWORDS = ('ccv3', 'chara')
PLACEHOLDER_SIZE = (400, 600)
PLACEHOLDER_COLOR = (96, 108, 128)
PNG_MODES = frozenset({'1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'I', 'I;16'})


def read_png_card(data: bytes) -> dict[str, Any]:
    """The card object embedded in a PNG; the first readable of `ccv3` and `chara` wins."""
    if not is_png(data):
        raise InvalidInputError('error.card.not_png', 'This file is named .png but is not a PNG picture.')
    chunks: dict[str, str | None] = {}
    for chunk in text_chunks(data):
        chunks.setdefault(chunk.keyword.lower(), chunk.text)
    failure: InvalidInputError | None = None
    for keyword in CARD_KEYWORDS:
        if keyword in chunks:
            try:
                return decode_embedded(chunks[keyword], keyword)
            except InvalidInputError as error:
                failure = failure or error
    if failure is not None:
        raise failure
    raise InvalidInputError('error.card.no_card_in_png',
                            'This PNG holds no character card (it has no "chara" or "ccv3" chunk). It may be a '
                            'plain picture: export the card again from the app it came from.')


def write_png_card(picture: bytes | None, v2_card: dict[str, Any], v3_card: dict[str, Any]) -> bytes:
    """`picture` (any image Pillow reads; a plain placeholder when there is none or it is unreadable) as a PNG
    carrying both card chunks."""
    entries = [('chara', _encode(v2_card)), ('ccv3', _encode(v3_card))]
    try:
        png = _as_png(picture) if picture else placeholder_png()
        try:
            return with_text_chunks(png, entries)
        except ValueError:
            return with_text_chunks(_reencode(png), entries)
    except (OSError, ValueError, SyntaxError):
        return with_text_chunks(placeholder_png(), entries)


@cache
def placeholder_png() -> bytes:
    """The picture of a card whose character has no avatar: a plain grey-blue portrait."""
    buffer = io.BytesIO()
    Image.new('RGB', PLACEHOLDER_SIZE, PLACEHOLDER_COLOR).save(buffer, 'PNG')
    return buffer.getvalue()


def _encode(card: dict[str, Any]) -> str:
    text = json.dumps(card, ensure_ascii=False, separators=(',', ':'))
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def _as_png(picture: bytes) -> bytes:
    return picture if is_png(picture) else _reencode(picture)


def _reencode(picture: bytes) -> bytes:
    with Image.open(io.BytesIO(picture)) as image:
        converted = image if image.mode in PNG_MODES else image.convert('RGBA')
        buffer = io.BytesIO()
        converted.save(buffer, 'PNG')
        return buffer.getvalue()
