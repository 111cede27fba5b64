"""Our card in a file other apps import: a PNG with both card chunks, JSON (V2 or V3) or a CharX archive (with the
files kept from an imported CharX). None of them carries our CharX bookkeeping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..media import FORMATS, sniff_format
from .charx import CharxFiles, without_kept_files, write_charx
from .png_card import write_png_card
from .spec_shapes import CardSpec, as_spec

CardFormat = Literal['png', 'json', 'charx']
MEDIA_TYPES = {'png': 'image/png', 'json': 'application/json', 'charx': 'application/zip'}


@dataclass(frozen=True)
class ExportedCard:
    content: bytes
    media_type: str
    extension: str


def export_card(card: dict[str, Any], fmt: CardFormat, spec: CardSpec, picture: bytes | None,
                charx_files: CharxFiles | None = None) -> ExportedCard:
    """`card` as a file; `spec` applies to JSON only (PNG carries both, CharX is always V3 and holds
    `charx_files`)."""
    card = without_kept_files(card)
    if fmt == 'png':
        content = write_png_card(picture, as_spec(card, 'v2'), as_spec(card, 'v3'))
    elif fmt == 'charx':
        content = write_charx(as_spec(card, 'v3'), picture, _extension(picture), charx_files)
    else:
        content = json.dumps(as_spec(card, spec), ensure_ascii=False, indent=4).encode('utf-8')
    return ExportedCard(content, MEDIA_TYPES[fmt], fmt)


def _extension(picture: bytes | None) -> str:
    image_format = sniff_format(picture) if picture else None
    return FORMATS.get(image_format or '', 'png')
