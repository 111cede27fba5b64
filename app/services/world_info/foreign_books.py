"""Lorebooks from other apps, converted the way SillyTavern's importer does (`convertAgnaiMemoryBook`,
`convertNovelLorebook`, `convertRisuLorebook` in ST's `world-info.js`): every entry starts from SillyTavern's
template and takes the few fields the other format has. A converted book keeps nothing of the original file.

A little more lenient than SillyTavern: an Agnai entry that spells its fields the character-book way (`keys`,
`content`) is read too, and missing keys give empty lists instead of breaking the entry.
"""

from __future__ import annotations

from typing import Any

from .entry import FIELDS_BY_ATTR, WorldBook, WorldEntry, entry_not_object


def book_from_agnai(data: dict[str, Any], name: str) -> WorldBook:
    """An Agnai memory book (`kind == 'memory'`): `keywords`, `entry`, `name` (the title), `weight` (the order)."""
    entries = []
    for index, item in enumerate(_objects(data.get('entries'))):
        title = _text(item.get('name'))
        entries.append(WorldEntry(
            uid=index, display_index=index, key=_keys(_first_present(item, 'keywords', 'keys')),
            comment=title, content=_text(_first_present(item, 'entry', 'content')), selective=False,
            order=_number(item.get('weight'), 100), disable=item.get('enabled') is False, add_memo=bool(title)))
    return WorldBook(name=name, entries=entries)


def book_from_novelai(data: dict[str, Any], name: str) -> WorldBook:
    """A NovelAI lorebook (`lorebookVersion`): `keys`, `text`, `displayName`, `contextConfig.budgetPriority`."""
    entries = []
    for index, item in enumerate(_objects(data.get('entries'))):
        title = _text(item.get('displayName'))
        context = item.get('contextConfig') if isinstance(item.get('contextConfig'), dict) else {}
        entries.append(WorldEntry(
            uid=index, display_index=index, key=_keys(item.get('keys')), comment=title,
            content=_text(item.get('text')), selective=False, order=_number(context.get('budgetPriority'), 0),
            disable=item.get('enabled') is False, add_memo=bool(title.strip())))
    return WorldBook(name=name, entries=entries)


def book_from_risu(data: dict[str, Any], name: str) -> WorldBook:
    """A RisuAI lorebook (`type == 'risu'`, entries in `data`): comma-separated `key`/`secondkey`, `alwaysActive`,
    `insertorder`, `activationPercent`."""
    entries = []
    for index, item in enumerate(_objects(data.get('data'))):
        percent = item.get('activationPercent')
        entries.append(WorldEntry(
            uid=index, display_index=index, key=_keys(item.get('key')), secondary_keys=_keys(item.get('secondkey')),
            comment=_text(item.get('comment')), content=_text(item.get('content')),
            constant=bool(item.get('alwaysActive')), selective=bool(item.get('selective')),
            order=_number(item.get('insertorder'), 100), add_memo=True,
            probability=_number(percent, 100), use_probability=True if percent is None else bool(percent)))
    return WorldBook(name=name, entries=entries)


def _objects(raw: Any) -> list[dict[str, Any]]:
    items = raw if isinstance(raw, list) else []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise entry_not_object(index)
    return items


def _first_present(item: dict[str, Any], *keys: str) -> Any:
    return next((item[key] for key in keys if item.get(key) is not None), None)


def _keys(raw: Any) -> list[str]:
    return FIELDS_BY_ATTR['key'].read(raw, [])


def _text(raw: Any) -> str:
    return raw if isinstance(raw, str) else '' if raw is None else str(raw)


def _number(raw: Any, default: int) -> int:
    return FIELDS_BY_ATTR['order'].read(raw, default)
