"""A lorebook embedded in a character card (Card V2/V3 `character_book`) to our `WorldBook` and back.

Card to book follows SillyTavern's `convertCharacterBook` (client `world-info.js`): `uid ← id ?? index`,
`key ← keys`, `order ← insertion_order`, `position ← extensions.position ?? (before_char ? 0 : 1)`,
`disable ← !enabled`, `addMemo ← !!comment`, every other field from `extensions.*` with SillyTavern's defaults, and
the card entry's `extensions` kept on the entry. Like SillyTavern, the whole card book is kept as `originalData`.
Deviations, on purpose: an entry without `enabled` stays enabled (SillyTavern would disable it, and real cards such
as "Honkai Star Rail RPG" leave the key out), and the V2 entry field `case_sensitive` is used when the extension
is absent.

Book to card: with `originalData`, the original card book is written back with only the edited fields changed (so
a card book survives the round trip byte for byte, unknown fields and `extensions` included); this is what
SillyTavern's `originalWIDataKeyMap` does while editing, except that `selectiveLogic` goes to
`extensions.selectiveLogic`, where the importer reads it (SillyTavern's mirror writes a top-level key by mistake).
Without `originalData` it follows `convertWorldInfoToCharacterBook` (server `characters.js`) with the newer fields.
Entry fields a card has no place for (`addMemo` when it differs from "has a comment", `characterFilter`, unknown
keys) travel in the entry's `extensions.st_world_entry`, so SillyTavern → card → SillyTavern keeps them too.
"""

from __future__ import annotations

import copy
from typing import Any

from .entry import FIELDS, FIELDS_BY_ATTR, POSITION_AFTER, POSITION_BEFORE, WorldBook, WorldEntry, entry_not_object

ST_FIELDS_KEY = 'st_world_entry'
"""The card entry extension that carries world-entry fields the card format has no place for."""

CARD_TOP_FIELDS = (('uid', 'id'), ('key', 'keys'), ('secondary_keys', 'secondary_keys'), ('comment', 'comment'),
                   ('content', 'content'), ('constant', 'constant'), ('selective', 'selective'),
                   ('order', 'insertion_order'))
EXTENSION_FIELDS = (
    ('position', 'position'), ('exclude_recursion', 'exclude_recursion'), ('display_index', 'display_index'),
    ('probability', 'probability'), ('use_probability', 'useProbability'), ('depth', 'depth'),
    ('selective_logic', 'selectiveLogic'), ('outlet_name', 'outlet_name'), ('group', 'group'),
    ('group_override', 'group_override'), ('group_weight', 'group_weight'), ('prevent_recursion', 'prevent_recursion'),
    ('delay_until_recursion', 'delay_until_recursion'), ('scan_depth', 'scan_depth'),
    ('match_whole_words', 'match_whole_words'), ('use_group_scoring', 'use_group_scoring'),
    ('case_sensitive', 'case_sensitive'), ('automation_id', 'automation_id'), ('role', 'role'),
    ('vectorized', 'vectorized'), ('sticky', 'sticky'), ('cooldown', 'cooldown'), ('delay', 'delay'),
    ('match_persona_description', 'match_persona_description'),
    ('match_character_description', 'match_character_description'),
    ('match_character_personality', 'match_character_personality'),
    ('match_character_depth_prompt', 'match_character_depth_prompt'), ('match_scenario', 'match_scenario'),
    ('match_creator_notes', 'match_creator_notes'), ('triggers', 'triggers'), ('ignore_budget', 'ignore_budget'),
)
EXTENSION_KEYS = frozenset(key for _, key in EXTENSION_FIELDS) | {ST_FIELDS_KEY}
BOOK_LEVEL_KEYS = ('description', 'scan_depth', 'token_budget', 'recursive_scanning', 'extensions')


def book_from_character_book(data: dict[str, Any], name: str = '') -> WorldBook:
    """The lorebook of a card's `character_book`; the card book itself is kept as `originalData`."""
    entries = [WorldEntry.from_st(card_entry_to_st(card_entry, index, uid))
               for (index, card_entry), uid in zip(enumerate(card_entries(data)), card_uids(data), strict=True)]
    book_name = data.get('name') if isinstance(data.get('name'), str) and data.get('name') else name
    return WorldBook(name=book_name, entries=entries, extra={'originalData': copy.deepcopy(data)})


def book_to_character_book(book: WorldBook) -> dict[str, Any]:
    """The card `character_book` for a lorebook: its `originalData` with the edits applied, or a fresh conversion."""
    original = book.extra.get('originalData')
    if isinstance(original, dict) and isinstance(original.get('entries'), list):
        return _edited_original(book, original)
    result: dict[str, Any] = {'entries': [entry_to_card(entry) for entry in book.entries], 'name': book.name}
    result.update({key: copy.deepcopy(book.extra[key]) for key in BOOK_LEVEL_KEYS if key in book.extra})
    result.setdefault('extensions', {})
    return result


def card_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry objects of a card book (a list; an object keyed by id is tolerated), each checked to be an object."""
    raw = data.get('entries')
    entries = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    for index, card_entry in enumerate(entries):
        if not isinstance(card_entry, dict):
            raise entry_not_object(index)
    return entries


def card_uids(data: dict[str, Any]) -> list[int]:
    """Each card entry's uid: its `id`, else its index; a repeated id gets the next free number."""
    taken: set[int] = set()
    uids = []
    for index, card_entry in enumerate(card_entries(data)):
        uid = FIELDS_BY_ATTR['uid'].read(card_entry.get('id'), None)
        uid = index if uid is None else uid
        if uid in taken:
            uid = max(taken) + 1
        taken.add(uid)
        uids.append(uid)
    return uids


def card_entry_to_st(card_entry: dict[str, Any], index: int, uid: int) -> dict[str, Any]:
    """A SillyTavern world entry object for one card entry (SillyTavern's template, then the card's values)."""
    extensions = card_entry.get('extensions') if isinstance(card_entry.get('extensions'), dict) else {}
    st: dict[str, Any] = {spec.st_key: copy.deepcopy(spec.default) for spec in FIELDS if spec.in_template}
    comment = card_entry.get('comment')
    st.update(uid=uid, key=copy.deepcopy(card_entry.get('keys')),
              keysecondary=copy.deepcopy(card_entry.get('secondary_keys') or []),
              comment=comment or '', content=card_entry.get('content') or '',
              constant=card_entry.get('constant') or False, selective=card_entry.get('selective') or False,
              order=_first_set(card_entry.get('insertion_order'), 100),
              disable=card_entry.get('enabled') is False, addMemo=bool(comment))
    st['position'] = POSITION_BEFORE if card_entry.get('position') == 'before_char' else POSITION_AFTER
    st['caseSensitive'] = card_entry.get('case_sensitive')
    st['displayIndex'] = index
    for attr, extension_key in EXTENSION_FIELDS:
        if extensions.get(extension_key) is not None:
            st[FIELDS_BY_ATTR[attr].st_key] = copy.deepcopy(extensions[extension_key])
    st['extensions'] = {key: copy.deepcopy(value) for key, value in extensions.items() if key != ST_FIELDS_KEY}
    carried = extensions.get(ST_FIELDS_KEY)
    if isinstance(carried, dict):
        st.update(copy.deepcopy(carried))
    return st


def entry_to_card(entry: WorldEntry) -> dict[str, Any]:
    """A card entry for a world entry, as SillyTavern's `convertWorldInfoToCharacterBook` writes it."""
    extensions = {key: copy.deepcopy(value) for key, value in entry.extensions.items() if key != ST_FIELDS_KEY}
    for attr, extension_key in EXTENSION_FIELDS:
        value = getattr(entry, attr)
        if value is not None or attr != 'display_index':
            extensions[extension_key] = copy.deepcopy(value)
    carried = _st_only_fields(entry)
    if carried:
        extensions[ST_FIELDS_KEY] = carried
    return {'id': entry.uid, 'keys': list(entry.key), 'secondary_keys': list(entry.secondary_keys),
            'comment': entry.comment, 'content': entry.content, 'constant': entry.constant,
            'selective': entry.selective, 'insertion_order': entry.order, 'enabled': not entry.disable,
            'position': _card_position(entry.position), 'use_regex': True, 'extensions': extensions}


def _edited_original(book: WorldBook, original: dict[str, Any]) -> dict[str, Any]:
    """`originalData` with the book's entries: unchanged fields stay as they were, edited ones are rewritten,
    removed entries are left out and new ones are converted. Its `name` stays, as in SillyTavern, where the
    world's own name is its file name."""
    originals = {uid: (index, card_entry) for (index, card_entry), uid
                 in zip(enumerate(card_entries(original)), card_uids(original), strict=True)}
    result = copy.deepcopy(original)
    result['entries'] = []
    for entry in book.entries:
        found = originals.get(entry.uid)
        if found is None:
            result['entries'].append(entry_to_card(entry))
            continue
        index, card_entry = found
        unchanged = WorldEntry.from_st(card_entry_to_st(card_entry, index, entry.uid))
        result['entries'].append(_with_edits(card_entry, entry, unchanged))
    return result


def _with_edits(card_entry: dict[str, Any], entry: WorldEntry, unchanged: WorldEntry) -> dict[str, Any]:
    edited = copy.deepcopy(card_entry)
    extensions = edited.get('extensions') if isinstance(edited.get('extensions'), dict) else {}
    for attr, card_key in CARD_TOP_FIELDS:
        if getattr(entry, attr) != getattr(unchanged, attr):
            edited[card_key] = copy.deepcopy(getattr(entry, attr))
    if entry.disable != unchanged.disable:
        edited['enabled'] = not entry.disable
    if entry.position != unchanged.position:
        edited['position'] = _card_position(entry.position)
    if entry.case_sensitive != unchanged.case_sensitive and isinstance(edited.get('case_sensitive'), bool):
        edited['case_sensitive'] = bool(entry.case_sensitive)
    for key, value in entry.extensions.items():
        if key not in EXTENSION_KEYS and unchanged.extensions.get(key) != value:
            extensions[key] = copy.deepcopy(value)
    for attr, extension_key in EXTENSION_FIELDS:
        if getattr(entry, attr) != getattr(unchanged, attr):
            extensions[extension_key] = copy.deepcopy(getattr(entry, attr))
    carried = _st_only_fields(entry)
    if carried != _st_only_fields(unchanged):
        extensions[ST_FIELDS_KEY] = carried
        if not carried:
            del extensions[ST_FIELDS_KEY]
    if extensions and extensions is not edited.get('extensions'):
        edited['extensions'] = extensions
    return edited


def _st_only_fields(entry: WorldEntry) -> dict[str, Any]:
    """The world-entry fields a card entry has no place for, in SillyTavern's spelling."""
    carried = copy.deepcopy(entry.extra)
    if entry.add_memo != bool(entry.comment):
        carried['addMemo'] = entry.add_memo
    if entry.character_filter is not None:
        carried['characterFilter'] = copy.deepcopy(entry.character_filter)
    return carried


def _card_position(position: int) -> str:
    return 'before_char' if position == POSITION_BEFORE else 'after_char'


def _first_set(value: Any, default: Any) -> Any:
    return default if value is None else value
