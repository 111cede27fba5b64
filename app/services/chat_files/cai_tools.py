"""Character.AI chat histories as the CAI Tools browser extension (and the older CharacterAI dumper) save them.

The file holds Character.AI's own history response: `{"info": {"character": {...}}, "histories": {"histories":
[{"external_id", "created", "msgs": [{"text", "src": {"name", "is_human"}}]}]}}`. Every history with messages
becomes its own chat; the character is the one `info` names, else the first speaker who is not human.
"""

from __future__ import annotations

from typing import Any

from .dates import parse_st_date
from .parsed_chat import ParsedChat, message, object_list, text_field, unreadable_message

FORMAT = 'cai_tools'


def is_cai_tools(document: dict[str, Any]) -> bool:
    return 'histories' in document


def read_cai_tools(document: dict[str, Any]) -> list[ParsedChat]:
    histories = document['histories']
    listed = object_list(histories.get('histories') if isinstance(histories, dict) else histories) or []
    chats = [_chat(history) for history in listed if isinstance(history, dict)]
    name = _info_name(document) or next((chat.character_name for chat in chats if chat.character_name), '')
    for chat in chats:
        chat.character_name = name
    return chats


def _chat(history: dict[str, Any]) -> ParsedChat:
    messages = []
    bot_name = ''
    for number, item in enumerate(object_list(history.get('msgs')) or [], start=1):
        source = item.get('src') if isinstance(item, dict) else None
        if not isinstance(source, dict):
            raise unreadable_message(number, FORMAT)
        text = text_field(item, 'text', number, FORMAT)
        if source.get('is_human'):
            messages.append(message('user', text))
            continue
        speaker = source.get('name') if isinstance(source.get('name'), str) else ''
        bot_name = bot_name or speaker
        messages.append(message('assistant', text, name=speaker))
    return ParsedChat(FORMAT, messages, character_name=bot_name.strip(), started=parse_st_date(history.get('created')))


def _info_name(document: dict[str, Any]) -> str:
    info = document.get('info')
    character = info.get('character') if isinstance(info, dict) else None
    name = character.get('name') if isinstance(character, dict) else None
    return name.strip() if isinstance(name, str) else ''
