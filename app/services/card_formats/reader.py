"""One uploaded file to a card: recognise the format from the content (and the name where content cannot tell),
then parse it into our canonical V3 card plus the picture that becomes the avatar.

Accepted: PNG cards, CharX, JSON (V1, V2, V3, Pygmalion) and oobabooga YAML. A zip that is not a CharX is a batch
of cards, which the importer unpacks with `open_card_archive`. A card never brings in our own CharX bookkeeping
(`charx.KEPT_FILES_KEY`): only a real CharX's files may be kept, never stored files a card merely names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ...errors import InvalidInputError
from .card_json import parse_json_object
from .charx import is_charx, read_charx, without_kept_files
from .limits import CardFileLimits
from .normalize import card_from_object
from .png_card import read_png_card
from .png_chunks import is_png
from .safe_zip import SafeZip, is_zip
from .yaml_card import read_yaml_card

LFS_POINTER = b'version https://git-lfs.github.com/spec/'
YAML_SUFFIXES = frozenset({'.yaml', '.yml'})
JSON_START = (b'{', b'\xef\xbb\xbf{')


@dataclass(frozen=True)
class ParsedCard:
    """A card read from a file; `icon_index` is the CharX asset that `picture` came from, `icon_path` its file, and
    `files` every file of a CharX but its card (path → bytes)."""

    card: dict[str, Any]
    picture: bytes | None = None
    icon_index: int | None = None
    icon_path: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)


def read_card_file(data: bytes, filename: str, limits: CardFileLimits) -> ParsedCard:
    parsed = _read_card(data, filename, limits)
    return replace(parsed, card=without_kept_files(parsed.card))


def _read_card(data: bytes, filename: str, limits: CardFileLimits) -> ParsedCard:
    limits.check_file_size(len(data))
    if data.startswith(LFS_POINTER):
        raise InvalidInputError('error.card.lfs_pointer',
                                'This file is a Git LFS pointer, not the card itself. Download the real file (for '
                                'example with "git lfs pull") and import that.')
    suffix = PurePosixPath(filename.lower()).suffix
    if is_png(data) or suffix == '.png':
        return ParsedCard(card_from_object(read_png_card(data)), data)
    if is_zip(data):
        content = read_charx(data, limits)
        return ParsedCard(card_from_object(content.raw_card), content.icon, content.icon_index, content.icon_path,
                          content.files)
    if suffix in YAML_SUFFIXES:
        return ParsedCard(read_yaml_card(data))
    if suffix == '.json' or data.lstrip().startswith(JSON_START):
        return ParsedCard(card_from_object(parse_json_object(data)))
    raise InvalidInputError('error.card.unsupported_file',
                            'This is not a character card file. Import PNG, JSON, CharX or YAML cards, or a zip of '
                            'them.')


def open_card_archive(data: bytes, limits: CardFileLimits) -> SafeZip | None:
    """The archive when `data` is a zip of card files (not a CharX), else None."""
    if not is_zip(data):
        return None
    limits.check_file_size(len(data))
    archive = SafeZip(data, limits)
    return None if is_charx(archive) else archive
