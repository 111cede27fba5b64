"""PNG chunks: list the text chunks (tEXt, zTXt, iTXt) of a file and rewrite a file with new tEXt chunks.

Reading is lenient the way SillyTavern's is: CRCs are not checked and a file cut off in the middle still yields the
chunks before the cut, because card data sits near the start. Writing keeps every other chunk byte for byte.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
TEXT_KINDS = frozenset({b'tEXt', b'zTXt', b'iTXt'})
MAX_INFLATED_TEXT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Chunk:
    kind: bytes
    body: bytes
    raw: bytes


@dataclass(frozen=True)
class TextChunk:
    """A text chunk's keyword and text; `text` is None when the chunk cannot be decoded."""

    keyword: str
    text: str | None


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def iter_chunks(data: bytes) -> Iterator[Chunk]:
    """The chunks after the signature, up to IEND or up to the first chunk that runs past the end of the file."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], 'big')
        end = position + 12 + length
        if end > len(data):
            return
        chunk = Chunk(data[position + 4:position + 8], data[position + 8:end - 4], data[position:end])
        yield chunk
        if chunk.kind == b'IEND':
            return
        position = end


def text_chunks(data: bytes) -> list[TextChunk]:
    return [_decode_text(chunk) for chunk in iter_chunks(data) if chunk.kind in TEXT_KINDS]


def keyword_of(chunk: Chunk) -> str:
    return chunk.body.partition(b'\0')[0].decode('latin-1')


def with_text_chunks(data: bytes, entries: list[tuple[str, str]]) -> bytes:
    """The PNG with every text chunk named like one of `entries` (any case) removed and `entries` written as tEXt
    chunks just before IEND. Raises ValueError when the file has no IEND to put them in front of."""
    replaced = {keyword.lower() for keyword, _ in entries}
    parts = [PNG_SIGNATURE]
    for chunk in iter_chunks(data):
        if chunk.kind in TEXT_KINDS and keyword_of(chunk).lower() in replaced:
            continue
        if chunk.kind == b'IEND':
            parts.extend(text_chunk(keyword, text) for keyword, text in entries)
            parts.append(chunk.raw)
            return b''.join(parts)
        parts.append(chunk.raw)
    raise ValueError('the PNG has no IEND chunk')


def text_chunk(keyword: str, text: str) -> bytes:
    return encode_chunk(b'tEXt', keyword.encode('latin-1') + b'\0' + text.encode('latin-1'))


def encode_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, 'big') + kind + body + zlib.crc32(kind + body).to_bytes(4, 'big')


def _decode_text(chunk: Chunk) -> TextChunk:
    keyword, separator, rest = chunk.body.partition(b'\0')
    name = keyword.decode('latin-1')
    if not separator:
        return TextChunk(name, None)
    try:
        if chunk.kind == b'tEXt':
            return TextChunk(name, rest.decode('latin-1'))
        if chunk.kind == b'zTXt':
            return TextChunk(name, _inflate(rest[1:]).decode('latin-1'))
        return TextChunk(name, _international_text(rest))
    except (zlib.error, UnicodeDecodeError, ValueError, IndexError):
        return TextChunk(name, None)


def _international_text(rest: bytes) -> str:
    """iTXt after the keyword: compression flag, method, language tag, translated keyword, then UTF-8 text."""
    compressed = rest[0] == 1
    _language, _, rest = rest[2:].partition(b'\0')
    _translated, _, text = rest.partition(b'\0')
    return (_inflate(text) if compressed else text).decode('utf-8')


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    result = inflater.decompress(data, MAX_INFLATED_TEXT)
    if inflater.unconsumed_tail:
        raise ValueError('compressed text chunk too large')
    return result
