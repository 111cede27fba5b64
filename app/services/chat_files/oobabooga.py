"""oobabooga's text-generation-webui chat histories: `[[user, bot], ...]` pairs in two copies.

Older files call the copies `data` and `data_visible`, newer ones `internal` and `visible`, plus a `metadata` map
(`user_3`, `assistant_3`) with a `timestamp` per message and, for regenerated replies, the `versions` of the reply.
Like SillyTavern we read the visible copy (what the user saw; the web UI stores it HTML-escaped, so entities are
unescaped) and fall back to the internal one. The greeting's empty or `<|BEGIN-VISIBLE-CHAT|>` user half is skipped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from .parsed_chat import ParsedChat, message, object_list, unreadable_message

FORMAT = 'oobabooga'
VISIBLE_KEYS = ('data_visible', 'visible')
INTERNAL_KEYS = ('data', 'internal')
RECOGNISED_KEYS = ('data_visible', 'visible', 'internal')  # `data` alone is too common a key to tell
GREETING_MARK = '<|BEGIN-VISIBLE-CHAT|>'
TIMESTAMP_FORMAT = '%b %d, %Y %H:%M'


def is_oobabooga(document: dict[str, Any]) -> bool:
    return any(isinstance(document.get(key), list) for key in RECOGNISED_KEYS)


def read_oobabooga(document: dict[str, Any]) -> list[ParsedChat]:
    visible = _first_list(document, VISIBLE_KEYS)
    pairs = visible if visible else _first_list(document, INTERNAL_KEYS)
    metadata = document.get('metadata') if isinstance(document.get('metadata'), dict) else {}
    messages = []
    for row, pair in enumerate(pairs):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
            raise unreadable_message(len(messages) + 1, FORMAT)
        user, reply = (html.unescape(part) if visible else part for part in pair)
        if user.strip() and user != GREETING_MARK:
            messages.append(message('user', user, sent_at=_timestamp(metadata, f'user_{row}')))
        if reply:
            swipes, index = _versions(metadata, row, visible=bool(visible))
            messages.append(message('assistant', reply, sent_at=_timestamp(metadata, f'assistant_{row}'),
                                    swipes=swipes, swipe_index=index))
    return [ParsedChat(FORMAT, messages)]


def _first_list(document: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
    return next((value for key in keys if (value := object_list(document.get(key)))), [])


def _timestamp(metadata: dict[str, Any], key: str) -> datetime | None:
    entry = metadata.get(key)
    stamp = entry.get('timestamp') if isinstance(entry, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _versions(metadata: dict[str, Any], row: int, *, visible: bool) -> tuple[list[str] | None, int]:
    """The regenerated versions of a reply as swipes, and the one shown."""
    entry = metadata.get(f'assistant_{row}')
    versions = object_list(entry.get('versions')) if isinstance(entry, dict) else None
    key = 'visible_content' if visible else 'content'
    texts = [item.get(key) for item in versions or [] if isinstance(item, dict)]
    if len(texts) < 2 or not all(isinstance(text, str) for text in texts):
        return None, 0
    index = entry.get('current_version_index')
    chosen = index if isinstance(index, int) and not isinstance(index, bool) else len(texts) - 1
    return [html.unescape(text) if visible else text for text in texts], chosen
