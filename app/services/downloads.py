"""A file the user downloads (an exported card or chat), and file names that every operating system accepts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def filename_stem(name: str, fallback: str, max_length: int = 100) -> str:
    """`name` without path or reserved characters and not too long; non-ASCII letters stay."""
    stem = UNSAFE_IN_FILENAME.sub('_', unicodedata.normalize('NFC', name)).strip(' .')[:max_length].strip(' .')
    return stem or fallback
