"""Small images built in memory for upload tests, including a PNG that declares far more pixels than it holds."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48), color: str = 'teal') -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', size, color).save(buffer, image_format)
    return buffer.getvalue()


def png_bytes(size: tuple[int, int] = (64, 48), color: str = 'teal') -> bytes:
    return image_bytes('PNG', size, color)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack('>I', len(payload)) + kind + payload + struct.pack('>I', zlib.crc32(kind + payload))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A few kilobytes of PNG whose header promises `width` × `height` grey pixels (the start of them compressed)."""
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b'\x00' * (width + 1) * 100, 9)
    return b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', header) + png_chunk(b'IDAT', rows) + png_chunk(b'IEND', b'')
