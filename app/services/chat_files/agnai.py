"""Agnai chat exports: `{"name", "greeting", "scenario", "messages": [{"msg", "userId" | "characterId", "name",
"handle", "createdAt", "ooc"}]}`.

A message with a `userId` is the user's; the others are the character's (`characterId` is "imported" for the chat's
main character, an id for group members), named by `name` or `handle`. Out-of-character (`ooc`) messages are kept
as system messages under the writer's handle; they stay out of the prompt as they do in Agnai.
"""

from __future__ import annotations

from typing import Any

from .dates import parse_st_date
from .parsed_chat import ParsedChat, message, object_list, text_field, unreadable_message

FORMAT = 'agnai'


def is_agnai(document: dict[str, Any]) -> bool:
    """A `messages` list of objects with `msg` (other apps' `messages` lists hold `content` or `text`)."""
    items = object_list(document.get('messages')) or []
    return any(isinstance(item, dict) and 'msg' in item for item in items)


def read_agnai(document: dict[str, Any]) -> list[ParsedChat]:
    messages = []
    for number, item in enumerate(document['messages'], start=1):
        if not isinstance(item, dict) or 'msg' not in item:
            raise unreadable_message(number, FORMAT)
        text = text_field(item, 'msg', number, FORMAT)
        sent_at = parse_st_date(item.get('createdAt'))
        if item.get('userId') and item.get('ooc'):
            messages.append(message('system', text, name=_speaker(item), sent_at=sent_at))
        elif item.get('userId'):
            messages.append(message('user', text, sent_at=sent_at))
        else:
            messages.append(message('assistant', text, name=_speaker(item), sent_at=sent_at))
    speakers = [item.name for item in messages if item.role == 'assistant' and item.name]
    return [ParsedChat(FORMAT, messages, character_name=speakers[0] if speakers else '',
                       group=len(set(speakers)) > 1)]


def _speaker(item: dict[str, Any]) -> str:
    for key in ('name', 'handle'):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ''

