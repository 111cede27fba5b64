"""One SillyTavern message object ⇄ one of our message rows, without losing the fields we have no column for.

`name`, `mes`, `swipes` and `swipe_id` become columns (`name`, `content`, `swipes`, `swipe_index`); the role comes
from `is_system` (→ 'system') and `is_user` (→ 'user', else 'assistant'). Every field but `name`, `mes` and
`swipes` — `send_date`, `extra`, `swipe_info`, `gen_started`, `force_avatar`, `is_group`, unknown keys, and
`swipe_id` as the sign that the message had swipes — is kept verbatim in `meta['sillytavern']`, so an imported
message that was not changed here exports as the object it was. What changed here (an edit, a new swipe) wins over
the kept copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...db.models import Message
from ...errors import InvalidInputError
from .dates import format_send_date, parse_st_date

ST_KEY = 'sillytavern'
COLUMN_FIELDS = ('name', 'mes', 'swipes')
MAX_NAME = 200


@dataclass
class ImportedMessage:
    role: str
    name: str
    content: str
    swipes: list[str]
    swipe_index: int
    sent_at: datetime | None
    meta: dict[str, Any]


def from_st(item: dict[str, Any], line: int) -> ImportedMessage:
    """Map a message object read from `line`; raises when it has no text."""
    if 'mes' not in item:
        raise InvalidInputError('error.chat_file.not_a_message',
                                f'Line {line} is not a chat message: it has no "mes" text.', line=line)
    content = _text(item['mes'], line)
    swipes, index = _swipes(item, content, line)
    kept = {key: value for key, value in item.items() if key not in COLUMN_FIELDS}
    return ImportedMessage(role=_role(item), name=_name(item.get('name')), content=content, swipes=swipes,
                           swipe_index=index, sent_at=parse_st_date(item.get('send_date')), meta={ST_KEY: kept})


def to_st(message: Message, fallback_name: str) -> dict[str, Any]:
    """The SillyTavern object for a message row; `fallback_name` names a row that has no speaker name."""
    kept = message.meta.get(ST_KEY)
    native = not isinstance(kept, dict)
    kept = {} if native else kept
    send_date = kept.get('send_date', format_send_date(message.created_at))
    record: dict[str, Any] = {'name': message.name or fallback_name, **_flags(message.role, kept, native),
                              'send_date': send_date, 'mes': message.content}
    if native:
        record['extra'] = {}
    if (native and message.role == 'assistant') or 'swipe_id' in kept or len(message.swipes) > 1:
        record.update(_swipe_fields(message, kept, native, send_date))
    for key, value in kept.items():
        record.setdefault(key, value)
    return record


def _role(item: dict[str, Any]) -> str:
    if item.get('is_system'):
        return 'system'
    return 'user' if item.get('is_user') else 'assistant'


def _name(value: object) -> str:
    if value is None:
        return ''
    return (value if isinstance(value, str) else str(value))[:MAX_NAME]


def _text(value: object, line: int) -> str:
    """Message text; Chub exports nest it as `{"message": ...}` and an empty message may be `null`."""
    if isinstance(value, dict):
        value = value.get('message')
    if value is None:
        return ''
    if not isinstance(value, str):
        raise InvalidInputError('error.chat_file.not_a_message',
                                f'Line {line} is not a chat message: it has no "mes" text.', line=line)
    return value


def _swipes(item: dict[str, Any], content: str, line: int) -> tuple[list[str], int]:
    """The alternatives and the selected one; the selected swipe always holds the shown text (`mes`)."""
    raw = item.get('swipes')
    swipes = [_text(swipe, line) for swipe in raw] if isinstance(raw, list) and raw else [content]
    index = item.get('swipe_id')
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(swipes):
        index = swipes.index(content) if content in swipes else 0
    swipes[index] = content
    return swipes, index


def _flags(role: str, kept: dict[str, Any], native: bool) -> dict[str, Any]:
    """`is_user`/`is_system` as they were when they still agree with the role, else the role's booleans.

    A hidden user message (`is_user` and `is_system`) is a 'system' row that keeps its `is_user`.
    """
    wanted = {'is_user': role == 'user', 'is_system': role == 'system'}
    flags: dict[str, Any] = {}
    for key, value in wanted.items():
        if key in kept and (bool(kept[key]) == value or (key == 'is_user' and role == 'system')):
            flags[key] = kept[key]
        elif native or value or key in kept:
            flags[key] = value
    return flags


def _swipe_fields(message: Message, kept: dict[str, Any], native: bool, send_date: Any) -> dict[str, Any]:
    swipes = list(message.swipes) or [message.content]
    fields: dict[str, Any] = {'swipes': swipes, 'swipe_id': min(message.swipe_index, len(swipes) - 1)}
    info = [] if native else kept.get('swipe_info')
    if isinstance(info, list):
        fresh = {'send_date': send_date, 'extra': {}}
        fields['swipe_info'] = [*info, *(dict(fresh) for _ in range(len(swipes) - len(info)))]
    return fields
