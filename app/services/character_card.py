"""Character Card V3 documents: the editable fields, a fresh canonical card, and updates that keep unknown data.

Cards follow the Character Card V3 spec (`chara_card_v3`, SillyTavern's field names), so cards exported from other
front-ends survive a round trip through this app unchanged apart from the fields the user edited.
"""

from __future__ import annotations

import copy
import time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

SPEC = 'chara_card_v3'
SPEC_VERSION = '3.0'
MAX_TEXT = 100_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 100
MAX_GREETINGS = 100
LIST_FIELDS = frozenset({'alternate_greetings', 'tags'})
DEFAULT_ASSETS = ({'type': 'icon', 'uri': 'ccdefault:', 'name': 'main', 'ext': 'png'},)


def normalize_tags(tags: list[str]) -> list[str]:
    """Strip tags, drop empty ones and keep only the first spelling of tags that differ just in case."""
    seen: set[str] = set()
    result: list[str] = []
    for tag in tags:
        tag = ' '.join(tag.split())
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise ValueError(f'at most {MAX_TAGS} tags are allowed')
    return result


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Greetings = Annotated[list[LongText], Field(max_length=MAX_GREETINGS)]
Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)]
Tags = Annotated[list[Tag], AfterValidator(normalize_tags)]


class CharacterFields(BaseModel):
    """The fields a user edits, named as in Character Card V2/V3 (and SillyTavern)."""

    name: Name
    nickname: ShortText = ''
    description: LongText = ''
    personality: LongText = ''
    scenario: LongText = ''
    first_mes: LongText = ''
    alternate_greetings: Greetings = []
    mes_example: LongText = ''
    system_prompt: LongText = ''
    post_history_instructions: LongText = ''
    creator_notes: LongText = ''
    tags: Tags = []
    creator: ShortText = ''
    character_version: ShortText = ''


class CharacterUpdate(BaseModel):
    """A partial edit: every field left as None stays unchanged."""

    name: Name | None = None
    nickname: ShortText | None = None
    description: LongText | None = None
    personality: LongText | None = None
    scenario: LongText | None = None
    first_mes: LongText | None = None
    alternate_greetings: Greetings | None = None
    mes_example: LongText | None = None
    system_prompt: LongText | None = None
    post_history_instructions: LongText | None = None
    creator_notes: LongText | None = None
    tags: Tags | None = None
    creator: ShortText | None = None
    character_version: ShortText | None = None


def new_card(fields: CharacterFields) -> dict[str, Any]:
    """A canonical V3 card holding `fields` and every other V3 data field at its default."""
    now = int(time.time())
    data = {**_v3_defaults(now), **fields.model_dump()}
    return {'spec': SPEC, 'spec_version': SPEC_VERSION, 'data': data}


def apply_update(card: dict[str, Any], update: CharacterUpdate) -> dict[str, Any]:
    """A copy of `card` with the given fields changed; unknown fields and `extensions` are kept verbatim."""
    result = copy.deepcopy(card)
    result['spec'] = SPEC
    result['spec_version'] = SPEC_VERSION
    data = result.get('data') if isinstance(result.get('data'), dict) else {}
    now = int(time.time())
    for key, value in _v3_defaults(now).items():
        data.setdefault(key, value)
    data.update(update.model_dump(exclude_none=True))
    data['modification_date'] = now
    result['data'] = data
    return result


def fields_of(card: dict[str, Any]) -> CharacterFields:
    """The editable fields of a stored card; values of the wrong type (from foreign cards) read as empty."""
    data = card.get('data') if isinstance(card.get('data'), dict) else {}
    values: dict[str, Any] = {}
    for name in CharacterFields.model_fields:
        value = data.get(name)
        if name in LIST_FIELDS:
            items = value if isinstance(value, list) else []
            values[name] = [item[:MAX_TEXT] for item in items if isinstance(item, str)]
        else:
            values[name] = value[:MAX_TEXT] if isinstance(value, str) else ''
    values['name'] = values['name'].strip()[:200] or '?'
    values['tags'] = [tag[:MAX_TAG_LENGTH] for tag in values['tags']][:MAX_TAGS]
    values['alternate_greetings'] = values['alternate_greetings'][:MAX_GREETINGS]
    for name in ('nickname', 'creator', 'character_version'):
        values[name] = values[name].strip()[:200]
    return CharacterFields.model_validate(values)


def _v3_defaults(now: int) -> dict[str, Any]:
    return {
        'name': '',
        'description': '',
        'tags': [],
        'creator': '',
        'character_version': '',
        'mes_example': '',
        'extensions': {},
        'system_prompt': '',
        'post_history_instructions': '',
        'first_mes': '',
        'alternate_greetings': [],
        'personality': '',
        'scenario': '',
        'creator_notes': '',
        'group_only_greetings': [],
        'assets': [dict(asset) for asset in DEFAULT_ASSETS],
        'nickname': '',
        'creation_date': now,
        'modification_date': now,
    }
