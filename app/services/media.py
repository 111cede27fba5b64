"""Avatar images, stored once per content (sha256) with a small WebP thumbnail next to them, and the other files of
CharX cards (expressions, backgrounds, sounds), stored once per content as they are.

Uploads are checked before Pillow decodes anything: the byte size, the format from the magic bytes, and the pixel
count from the header, so a small file that would expand to gigabytes of pixels is refused cheaply. The original
bytes are kept unchanged, because PNG character cards carry their data in text chunks. Card assets are never decoded
or served; their size is capped where they are unpacked (`card_formats.SafeZip`).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, PngImagePlugin

from ..errors import InvalidInputError, PayloadTooLargeError

THUMBNAIL_SIZE = 256
THUMBNAIL_QUALITY = 80
HASH_PATTERN = re.compile(r'^[0-9a-f]{64}$')
FORMATS = {'PNG': 'png', 'JPEG': 'jpg', 'WEBP': 'webp'}
OTHER_IMAGE_MAGIC = (b'GIF87a', b'GIF89a', b'BM', b'II*\x00', b'MM\x00*')
CONTENT_TYPES = {'png': 'image/png', 'jpg': 'image/jpeg', 'webp': 'image/webp'}

# A compressed text chunk must not inflate without bound while Pillow reads the PNG header.
PngImagePlugin.MAX_TEXT_CHUNK = 4 * 1024 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 16 * 1024 * 1024


def avatar_url(avatar_hash: str | None) -> str | None:
    return f'/media/avatars/{avatar_hash}' if avatar_hash else None


def thumbnail_url(avatar_hash: str | None) -> str | None:
    return f'/media/thumbs/{avatar_hash}.webp' if avatar_hash else None


def sniff_format(data: bytes) -> str | None:
    """The Pillow format name from the magic bytes, or None for anything we do not recognise as an image."""
    if data.startswith(b'\x89PNG\r\n\x1a\n'):
        return 'PNG'
    if data.startswith(b'\xff\xd8\xff'):
        return 'JPEG'
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'WEBP'
    if data.startswith(OTHER_IMAGE_MAGIC) or data[4:12] in (b'ftypavif', b'ftypheic'):
        return 'UNSUPPORTED'
    return None


@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str


class MediaStore:
    """Content-addressed avatar files under `media_dir/avatars`, their thumbnails under `media_dir/thumbs` and card
    asset files under `media_dir/assets`."""

    def __init__(self, media_dir: Path, max_bytes: int, max_pixels: int) -> None:
        self.media_dir = media_dir
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    async def store_avatar(self, data: bytes) -> str:
        """Validate the image, keep its original bytes and a thumbnail; returns the sha256 hex digest."""
        self.check_size(len(data))
        return await asyncio.to_thread(self._store, data)

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise PayloadTooLargeError('error.media.too_large',
                                       f'The image is larger than {self.max_bytes // 1024} KB.',
                                       max_kb=self.max_bytes // 1024)

    def avatar(self, avatar_hash: str) -> StoredFile | None:
        """The stored original for a hash, or None when the hash is malformed or unknown."""
        if not HASH_PATTERN.match(avatar_hash):
            return None
        for extension, content_type in CONTENT_TYPES.items():
            path = self._avatar_path(avatar_hash, extension)
            if path.is_file():
                return StoredFile(path, content_type)
        return None

    async def store_asset(self, data: bytes) -> str:
        """Keep a card asset's bytes exactly as they are; returns the sha256 hex digest."""
        return await asyncio.to_thread(self._store_asset, data)

    def asset(self, digest: str) -> Path | None:
        """The stored asset file for a digest, or None when the digest is malformed or unknown."""
        if not HASH_PATTERN.match(digest):
            return None
        path = self._asset_path(digest)
        return path if path.is_file() else None

    def thumbnail(self, avatar_hash: str) -> StoredFile | None:
        if not HASH_PATTERN.match(avatar_hash):
            return None
        path = self._thumbnail_path(avatar_hash)
        return StoredFile(path, 'image/webp') if path.is_file() else None

    def _store(self, data: bytes) -> str:
        extension, thumbnail = self._make_thumbnail(data)
        digest = hashlib.sha256(data).hexdigest()
        avatar_path = self._avatar_path(digest, extension)
        thumbnail_path = self._thumbnail_path(digest)
        if not thumbnail_path.is_file():
            _write_atomically(thumbnail_path, thumbnail)
        if not avatar_path.is_file():
            _write_atomically(avatar_path, data)
        return digest

    def _store_asset(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._asset_path(digest)
        if not path.is_file():
            _write_atomically(path, data)
        return digest

    def _make_thumbnail(self, data: bytes) -> tuple[str, bytes]:
        """Check format and pixel count from the header, then decode and shrink; returns (extension, WebP bytes)."""
        image_format = sniff_format(data)
        if image_format is None:
            raise InvalidInputError('error.media.not_an_image', 'This file is not an image.')
        if image_format not in FORMATS:
            raise InvalidInputError('error.media.unsupported_format', 'Use a PNG, JPEG or WebP image.')
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            try:
                with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                    self._check_pixels(image.width, image.height)
                    return FORMATS[image_format], _thumbnail_bytes(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise self._too_many_pixels() from None
            except (OSError, SyntaxError, ValueError, EOFError) as error:
                raise InvalidInputError('error.media.broken_image',
                                        'The image is damaged or incomplete and cannot be read.') from error

    def _check_pixels(self, width: int, height: int) -> None:
        if width < 1 or height < 1 or width * height > self.max_pixels:
            raise self._too_many_pixels()

    def _too_many_pixels(self) -> InvalidInputError:
        return InvalidInputError('error.media.too_many_pixels',
                                 f'The image has too many pixels (at most {self.max_pixels:,}).',
                                 max_pixels=f'{self.max_pixels:,}')

    def _avatar_path(self, digest: str, extension: str) -> Path:
        return self.media_dir / 'avatars' / digest[:2] / f'{digest}.{extension}'

    def _thumbnail_path(self, digest: str) -> Path:
        return self.media_dir / 'thumbs' / digest[:2] / f'{digest}.webp'

    def _asset_path(self, digest: str) -> Path:
        return self.media_dir / 'assets' / digest[:2] / digest


def _thumbnail_bytes(image: Image.Image) -> bytes:
    image.draft('RGB', (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
    image.load()
    thumbnail = ImageOps.exif_transpose(image)
    thumbnail = thumbnail.convert('RGBA' if 'A' in thumbnail.getbands() or 'transparency' in image.info else 'RGB')
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = io.BytesIO()
    thumbnail.save(buffer, 'WEBP', quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file next to `path`, then rename, so readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix='.tmp-')
    try:
        with os.fdopen(fd, 'wb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
