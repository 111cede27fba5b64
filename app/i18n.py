"""Translation tables (English and Simplified Chinese) for every user-facing string.

Tables live in `data/i18n/<locale>/<area>.json` as flat `key -> text` maps with `{name}` placeholders; the files of
one locale are merged, so each area of the app (auth, characters, admin ...) keeps its own file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from .config import SUPPORTED_LOCALES

I18N_DIR = Path(__file__).resolve().parent.parent / 'data' / 'i18n'
FALLBACK_LOCALE = 'en'


@cache
def table(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((I18N_DIR / locale).glob('*.json')):
        merged.update(json.loads(path.read_text(encoding='utf-8')))
    return merged


def translate(key: str, locale: str, **params: object) -> str:
    """The text for `key` in `locale`, falling back to English, then to the key itself."""
    text = table(locale if locale in SUPPORTED_LOCALES else FALLBACK_LOCALE).get(key)
    if text is None:
        text = table(FALLBACK_LOCALE).get(key, key)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def pick_locale(*candidates: str | None, accept_language: str = '', default: str = FALLBACK_LOCALE) -> str:
    """The first supported locale among explicit choices, then the browser's Accept-Language, then the default."""
    for candidate in candidates:
        if candidate in SUPPORTED_LOCALES:
            return candidate
    for part in accept_language.split(','):
        tag = part.split(';')[0].strip().lower()
        if tag.startswith('zh'):
            return 'zh-CN'
        if tag.startswith('en'):
            return 'en'
    return default
