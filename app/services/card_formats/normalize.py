"""Foreign card objects to our canonical V3 card document.

Accepted shapes: V2 and V3 (`spec` plus a `data` object), V1 (flat TavernAI fields), the old Pygmalion/Gradio
notepad shape (`char_name`, `char_persona`, ...) and oobabooga's YAML fields. Everything we do not map is kept
verbatim: unknown top-level keys, unknown `data` keys, `extensions` and an embedded `character_book`. Known fields
with a loose type are repaired the way SillyTavern reads them (a numeric version becomes text, a comma-separated tag
string becomes a list), V3 fields that are missing get their defaults, and NUL characters are removed from all
text because PostgreSQL cannot store them.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidInputError
from ..character_card import SPEC, SPEC_VERSION, CharacterFields, new_card
from .card_json import not_a_card

ENVELOPE_KEYS = frozenset({'spec', 'spec_version', 'data'})
V1_FIELDS = {'name': 'name', 'description': 'description', 'personality': 'personality', 'scenario': 'scenario',
             'first_mes': 'first_mes', 'mes_example': 'mes_example', 'creatorcomment': 'creator_notes',
             'tags': 'tags'}
PYGMALION_FIELDS = {'char_name': 'name', 'char_persona': 'description', 'char_greeting': 'first_mes',
                    'world_scenario': 'scenario', 'example_dialogue': 'mes_example'}
TEXT_FIELDS = ('name', 'nickname', 'description', 'personality', 'scenario', 'first_mes', 'mes_example',
               'system_prompt', 'post_history_instructions', 'creator_notes', 'creator', 'character_version')
GREETING_LISTS = ('alternate_greetings', 'group_only_greetings')


def card_from_object(raw: dict[str, Any]) -> dict[str, Any]:
    """The canonical V3 document for any accepted JSON shape (a new object; `raw` is not changed); refuses objects
    that are not cards or have no name."""
    raw = _without_nul(raw)
    if isinstance(raw.get('data'), dict) and ('spec' in raw or 'name' in raw['data']):
        top = {key: value for key, value in raw.items() if key not in ENVELOPE_KEYS}
        return _canonical_card(top, dict(raw['data']))
    if 'char_name' in raw:
        return _flat_card(raw, PYGMALION_FIELDS)
    if 'name' in raw:
        return _flat_card(raw, V1_FIELDS)
    raise not_a_card()


def card_from_flat(raw: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """A flat card: the mapped keys move into `data`, every other key stays at the top level."""
    return _flat_card(_without_nul(raw), mapping)


def _flat_card(raw: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    data = {field: raw[key] for key, field in mapping.items() if key in raw}
    top = {key: value for key, value in raw.items() if key not in mapping and key not in ENVELOPE_KEYS}
    return _canonical_card(top, data)


def _canonical_card(top: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    data = {**new_card(CharacterFields.model_construct(name=''))['data'], **data}
    _repair_types(data)
    if not isinstance(data['name'], str) or not data['name'].strip():
        raise InvalidInputError('error.card.no_name',
                                'The card has no character name. Add a name to the card and import it again.')
    return {**top, 'spec': SPEC, 'spec_version': SPEC_VERSION, 'data': data}


def _repair_types(data: dict[str, Any]) -> None:
    for name in TEXT_FIELDS:
        data[name] = _as_text(data[name])
    for name in GREETING_LISTS:
        value = data[name]
        if value is None or isinstance(value, str):
            data[name] = [value] if value and value.strip() else []
    tags = data['tags']
    if tags is None or isinstance(tags, str):
        data['tags'] = [tag.strip() for tag in (tags or '').split(',') if tag.strip()]
    if not isinstance(data['extensions'], dict):
        data['extensions'] = {}


def _as_text(value: Any) -> Any:
    if value is None:
        return ''
    if isinstance(value, int | float):
        return str(value)
    return value


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace('\0', '') if '\0' in value else value
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value
