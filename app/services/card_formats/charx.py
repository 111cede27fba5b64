"""CharX cards: a zip with the V3 card in `card.json` and its files under `assets/`.

The main icon (the `icon` asset named `main`, else the first icon) becomes the character's avatar. Since our avatar
is the card's default picture, its asset then points at `ccdefault:`. Every other file of the archive (expressions,
backgrounds, other icons, files no asset lists, RisuAI's extras) is kept: the importer stores each one by content and
the card remembers them under `KEPT_FILES_KEY` (path → digest, plus the icon's original asset entry and the digest of
the picture it held). A CharX export writes those files back unchanged and, while the avatar is still that picture,
the icon at its original path with its original asset entry, so the card's `assets` array comes back as it was.
Otherwise the avatar is written as `assets/icon/image/main.<ext>` and the icon points there. PNG and JSON exports
leave `KEPT_FILES_KEY` out.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidInputError
from .card_json import parse_json_object
from .limits import CardFileLimits
from .safe_zip import SafeZip

CARD_ENTRY = 'card.json'
EMBEDDED_PREFIXES = ('embeded://', 'embedded://', '__asset:')
EXPORT_ICON_DIR = 'assets/icon/image'
KEPT_FILES_KEY = 'tavern_plus_charx_files'


@dataclass(frozen=True)
class CharxContent:
    """A read archive: the card, the main icon's picture and asset position and path, and every file but the card
    (the icon's file among them)."""

    raw_card: dict[str, Any]
    icon: bytes | None
    icon_index: int | None
    icon_path: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class KeptFiles:
    """What a stored card remembers of its CharX: file path → stored digest, and the icon's original asset entry
    with the digest of the picture it held (None when no icon became the avatar)."""

    files: dict[str, str]
    icon_asset: dict[str, Any] | None = None
    icon_digest: str | None = None


@dataclass(frozen=True)
class CharxFiles:
    """What a CharX export writes beside the card: the kept files' bytes and, while the avatar is still the imported
    icon, that icon's original asset entry."""

    entries: dict[str, bytes] = field(default_factory=dict)
    icon_asset: dict[str, Any] | None = None


def is_charx(archive: SafeZip) -> bool:
    return CARD_ENTRY in archive.entries


def read_charx(data: bytes, limits: CardFileLimits) -> CharxContent:
    """The card and all files of a CharX; every read counts against the archive's unpacked-size limits."""
    archive = SafeZip(data, limits)
    if not is_charx(archive):
        raise InvalidInputError('error.card.charx_without_card',
                                'This CharX archive has no card.json, so it holds no character card.')
    raw = parse_json_object(archive.read(CARD_ENTRY))
    files = {name: archive.read(name) for name in archive.names if name != CARD_ENTRY}
    index = main_icon_index(raw.get('data'))
    path = _embedded_path(raw['data']['assets'][index]) if index is not None else None
    if path is None or path not in files:
        return CharxContent(raw, None, None, files=files)
    return CharxContent(raw, files[path], index, path, files)


def main_icon_index(data: Any) -> int | None:
    """The position of the main icon in `data.assets`, or None when the card lists no icon."""
    assets = data.get('assets') if isinstance(data, dict) else None
    if not isinstance(assets, list):
        return None
    icons = [index for index, asset in enumerate(assets) if isinstance(asset, dict) and asset.get('type') == 'icon']
    named = [index for index in icons if assets[index].get('name') == 'main']
    return (named or icons or [None])[0]


def adopt_icon(card: dict[str, Any], index: int, extension: str) -> dict[str, Any]:
    """A copy of `card` whose icon at `index` is the default picture (our stored avatar)."""
    result = copy.deepcopy(card)
    result['data']['assets'][index].update(uri='ccdefault:', ext=extension)
    return result


def with_kept_files(card: dict[str, Any], kept: KeptFiles) -> dict[str, Any]:
    """A copy of `card` that remembers its CharX files."""
    record: dict[str, Any] = {'files': dict(kept.files)}
    if kept.icon_asset is not None:
        record['icon'] = {'asset': copy.deepcopy(kept.icon_asset), 'digest': kept.icon_digest}
    return {**copy.deepcopy(card), KEPT_FILES_KEY: record}


def without_kept_files(card: dict[str, Any]) -> dict[str, Any]:
    """`card` without the CharX bookkeeping (what other apps see, and what a card from a file may not bring in)."""
    return {key: value for key, value in card.items() if key != KEPT_FILES_KEY}


def kept_files(card: dict[str, Any]) -> KeptFiles:
    """The CharX files a stored card remembers; malformed records read as none."""
    record = card.get(KEPT_FILES_KEY)
    record = record if isinstance(record, dict) else {}
    files = record.get('files') if isinstance(record.get('files'), dict) else {}
    icon = record.get('icon') if isinstance(record.get('icon'), dict) else {}
    asset, digest = icon.get('asset'), icon.get('digest')
    usable = isinstance(asset, dict) and isinstance(digest, str) and _embedded_path(asset) is not None
    return KeptFiles({path: value for path, value in files.items() if isinstance(value, str)},
                     asset if usable else None, digest if usable else None)


def write_charx(v3_card: dict[str, Any], picture: bytes | None, extension: str,
                files: CharxFiles | None = None) -> bytes:
    """A CharX archive of the card, with `picture` as its main icon when there is one, and the kept `files`."""
    card = copy.deepcopy(v3_card)
    files = files or CharxFiles()
    buffer = io.BytesIO()
    written = {CARD_ENTRY}
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        if picture:
            restored = _restore_icon(card['data'], files.icon_asset)
            path = restored or f'{EXPORT_ICON_DIR}/main.{extension}'
            if restored is None:
                _point_icon_at(card['data'], path, extension)
            archive.writestr(path, picture, compress_type=zipfile.ZIP_STORED)
            written.add(path)
        for name in sorted(set(files.entries) - written):
            archive.writestr(name, files.entries[name])
        archive.writestr(CARD_ENTRY, json.dumps(card, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def _restore_icon(data: dict[str, Any], icon_asset: dict[str, Any] | None) -> str | None:
    """Put the imported icon's asset entry back in place of the default-picture one; returns its file path."""
    index = main_icon_index(data)
    if icon_asset is None or index is None:
        return None
    data['assets'][index] = copy.deepcopy(icon_asset)
    return _embedded_path(icon_asset)


def _point_icon_at(data: dict[str, Any], path: str, extension: str) -> None:
    if not isinstance(data.get('assets'), list):
        data['assets'] = []
    index = main_icon_index(data)
    icon = {'type': 'icon', 'uri': f'embeded://{path}', 'name': 'main', 'ext': extension}
    if index is None:
        data['assets'].append(icon)
    else:
        data['assets'][index].update(uri=icon['uri'], ext=extension)


def _embedded_path(asset: dict[str, Any]) -> str | None:
    uri = asset.get('uri')
    if not isinstance(uri, str):
        return None
    for prefix in EMBEDDED_PREFIXES:
        if uri.startswith(prefix):
            return uri[len(prefix):]
    return None
