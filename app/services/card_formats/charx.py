"""CharX cards: a zip with the V3 card in `card.json` and its files under `assets/`.

The main icon (the `icon` asset named `main`, else the first icon) becomes the character's avatar. Since our avatar
is the card's default picture, its asset then points at `ccdefault:`; export writes the avatar back as
`assets/icon/image/main.<ext>` and points the icon there, so a CharX round trip gives the same card. Other assets
(emotions, backgrounds) stay listed in the card but their files are not kept.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidInputError
from .card_json import parse_json_object
from .limits import CardFileLimits
from .safe_zip import SafeZip

CARD_ENTRY = 'card.json'
EMBEDDED_PREFIXES = ('embeded://', 'embedded://', '__asset:')
EXPORT_ICON_DIR = 'assets/icon/image'


@dataclass(frozen=True)
class CharxContent:
    raw_card: dict[str, Any]
    icon: bytes | None
    icon_index: int | None


def is_charx(archive: SafeZip) -> bool:
    return CARD_ENTRY in archive.entries


def read_charx(data: bytes, limits: CardFileLimits) -> CharxContent:
    archive = SafeZip(data, limits)
    if not is_charx(archive):
        raise InvalidInputError('error.card.charx_without_card',
                                'This CharX archive has no card.json, so it holds no character card.')
    raw = parse_json_object(archive.read(CARD_ENTRY))
    index = main_icon_index(raw.get('data'))
    path = _embedded_path(raw['data']['assets'][index]) if index is not None else None
    if path is None or path not in archive.entries:
        return CharxContent(raw, None, None)
    return CharxContent(raw, archive.read(path), index)


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


def write_charx(v3_card: dict[str, Any], picture: bytes | None, extension: str) -> bytes:
    """A CharX archive of the card, with `picture` as its main icon when there is one."""
    card = copy.deepcopy(v3_card)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        if picture:
            path = f'{EXPORT_ICON_DIR}/main.{extension}'
            _point_icon_at(card['data'], path, extension)
            archive.writestr(path, picture, compress_type=zipfile.ZIP_STORED)
        archive.writestr(CARD_ENTRY, json.dumps(card, ensure_ascii=False, indent=2))
    return buffer.getvalue()


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
