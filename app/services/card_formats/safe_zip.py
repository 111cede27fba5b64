"""Zip archives (CharX cards, zips of cards) opened defensively, without ever writing an entry to disk.

Before any entry is read the archive is refused for too many entries, a declared total above the limit, an entry
path that is absolute or climbs out with `..`, or encryption. Reading then counts the bytes really inflated, so an
archive whose headers lie is stopped at the limit, and an entry that inflates more than `max_ratio` times its
compressed size is refused as a zip bomb.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePosixPath

from ...errors import InvalidInputError, PayloadTooLargeError
from .limits import MEGABYTE, CardFileLimits

ZIP_MAGIC = (b'PK\x03\x04', b'PK\x05\x06')
READ_CHUNK = 64 * 1024


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


class SafeZip:
    """The files of one archive; `read` enforces the size, total and ratio limits."""

    def __init__(self, data: bytes, limits: CardFileLimits) -> None:
        self.limits = limits
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise InvalidInputError('error.card.broken_zip', 'The archive is damaged and cannot be opened.') from None
        self._check(infos)
        self.entries = {info.filename: info for info in infos if not info.is_dir()}
        self.unpacked = 0

    @property
    def names(self) -> list[str]:
        return list(self.entries)

    def read(self, name: str) -> bytes:
        """The inflated bytes of entry `name`, refused as soon as a limit is passed."""
        info = self.entries[name]
        limit = min(self.limits.max_file_bytes, self.limits.max_unpacked_bytes - self.unpacked)
        parts: list[bytes] = []
        total = 0
        try:
            with self.archive.open(info) as entry:
                while chunk := entry.read(READ_CHUNK):
                    total += len(chunk)
                    self._check_growth(name, total, info.compress_size, limit)
                    parts.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
            raise InvalidInputError('error.card.broken_zip_entry',
                                    f'The file "{name}" in the archive is damaged and cannot be unpacked.',
                                    path=name) from None
        self.unpacked += total
        return b''.join(parts)

    def _check(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > self.limits.max_zip_entries:
            raise InvalidInputError('error.card.zip_too_many_entries',
                                    f'The archive holds more than {self.limits.max_zip_entries} files.',
                                    limit=self.limits.max_zip_entries)
        for info in infos:
            if _unsafe(info.filename):
                raise InvalidInputError('error.card.zip_unsafe_path',
                                        f'The archive contains an unsafe file path ("{info.filename}") and was '
                                        'refused.', path=info.filename)
            if info.flag_bits & 0x1:
                raise InvalidInputError('error.card.zip_encrypted',
                                        'The archive is encrypted; unpack it and import the cards themselves.')
            self._check_ratio(info.filename, info.file_size, info.compress_size)
        if sum(info.file_size for info in infos) > self.limits.max_unpacked_bytes:
            raise _too_large(self.limits.max_unpacked_bytes)

    def _check_growth(self, name: str, total: int, compressed: int, limit: int) -> None:
        if total > limit:
            raise _too_large(limit)
        self._check_ratio(name, total, compressed)

    def _check_ratio(self, name: str, size: int, compressed: int) -> None:
        if size > self.limits.ratio_floor_bytes and size > self.limits.max_ratio * max(compressed, 1):
            raise InvalidInputError('error.card.zip_bomb',
                                    f'The file "{name}" in the archive unpacks to more than {self.limits.max_ratio} '
                                    'times its packed size and was refused as a possible zip bomb.',
                                    path=name, ratio=self.limits.max_ratio)


def _too_large(limit: int) -> PayloadTooLargeError:
    megabytes = max(1, limit // MEGABYTE)
    return PayloadTooLargeError('error.card.zip_too_large',
                                f'The archive unpacks to more than {megabytes} MB and was refused.',
                                limit=megabytes)


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return (not name or name.startswith(('/', '\\')) or '\\' in name or '..' in path.parts
            or ':' in (path.parts[0] if path.parts else ''))
