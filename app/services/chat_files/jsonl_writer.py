"""Write a chat as a SillyTavern JSONL file: the header line, then one message object per line.

The layout matches SillyTavern's own writer (compact `JSON.stringify` objects joined by `\\n`, no trailing newline),
so SillyTavern imports the file as a chat of the character, with swipes, `extra` and `chat_metadata` intact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...db.models import Message
from .st_message import to_st


def write_jsonl(header: dict[str, Any], messages: Iterable[Message], *, user_name: str,
                character_name: str) -> bytes:
    """The file's bytes; rows without a speaker name get `user_name` or `character_name` by role."""
    lines = [_dump(header)]
    lines.extend(_dump(to_st(message, user_name if message.role == 'user' else character_name))
                 for message in messages)
    return '\n'.join(lines).encode()


def _dump(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(',', ':'))
