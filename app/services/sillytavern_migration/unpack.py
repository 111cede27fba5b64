"""Unpack an uploaded zip of a SillyTavern folder into a private working folder, defensively.

The archive is checked by the card import's `SafeZip` (entry count, declared and real inflated sizes, inflation
ratio, absolute or climbing paths, encryption) before and while each entry is read; entries are written only below
the target folder, and zip-tool leftovers (`__MACOSX/`, `.DS_Store`) are left out.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ...errors import InvalidInputError, TavernError
from ..card_formats import SafeZip
from ..card_formats.safe_zip import is_zip
from .limits import MigrationLimits

MACOS_METADATA = '__MACOSX'
JUNK_FILES = frozenset({'.DS_Store', 'Thumbs.db', 'desktop.ini'})


def unpack_zip(data: bytes, target: Path, limits: MigrationLimits) -> None:
    """Write every entry of the zip in `data` below `target` (which must exist and be empty)."""
    if not is_zip(data):
        raise InvalidInputError('error.migration.not_a_zip',
                                'This file is not a zip. Zip your SillyTavern data folder (data/<user>/) and upload '
                                'the zip.')
    try:
        archive = SafeZip(data, limits.zip_limits())
    except TavernError as error:
        raise _for_folders(error) from None
    root = target.resolve()
    for name in archive.names:
        parts = PurePosixPath(name).parts
        if parts[0] == MACOS_METADATA or parts[-1] in JUNK_FILES:
            continue
        path = root.joinpath(*parts)
        if not path.resolve().is_relative_to(root):
            raise InvalidInputError('error.card.zip_unsafe_path',
                                    f'The archive contains an unsafe file path ("{name}") and was refused.',
                                    path=name)
        content = archive.read(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as error:
            raise InvalidInputError('error.migration.unpack_failed',
                                    f'The file "{name}" in the zip could not be unpacked: {error.strerror}.',
                                    path=name, reason=error.strerror or '') from error


def _for_folders(error: TavernError) -> TavernError:
    """The card import's advice for an encrypted zip speaks of cards; say what to do with a folder instead."""
    if error.code != 'error.card.zip_encrypted':
        return error
    return InvalidInputError('error.migration.zip_encrypted',
                             'The zip is encrypted. Zip your SillyTavern folder again without a password.')
