"""RisuAI chat exports: `{"type": "risuChat", "ver": 2, "data": {"name", "note", "message": [{"role", "data",
"time", "name", "saying", "chatId"}]}}`, and `"risuAllChats"` with a list of such chats in `data`.

`role` is "user" or "char"; `time` is unix milliseconds; `name` names the speaker when it is not the chat's
character. The chat's `note` (RisuAI's author's note) becomes its Author's Note. RisuAI shows the character's
greeting without storing it in the chat, so an imported chat starts with the first stored message.
"""

from __future__ import annotations

from typing import Any

from .dates import parse_st_date
from .parsed_chat import ParsedChat, message, object_list, text_field, unreadable_message

FORMAT = 'risuai'
ONE_CHAT = 'risuChat'
ALL_CHATS = 'risuAllChats'


def is_risuai(document: dict[str, Any]) -> bool:
    return document.get('type') in (ONE_CHAT, ALL_CHATS)


def read_risuai(document: dict[str, Any]) -> list[ParsedChat]:
    if document['type'] == ONE_CHAT:
        data = document.get('data')
        return [_chat(data, titled=False)] if isinstance(data, dict) else []
    return [_chat(chat, titled=True) for chat in object_list(document.get('data')) or [] if isinstance(chat, dict)]


def _chat(chat: dict[str, Any], *, titled: bool) -> ParsedChat:
    messages = []
    speakers: set[str] = set()  # `saying` is the speaking character's id in a group chat
    for number, item in enumerate(object_list(chat.get('message')) or [], start=1):
        if not isinstance(item, dict) or item.get('role') not in ('user', 'char'):
            raise unreadable_message(number, FORMAT)
        text = text_field(item, 'data', number, FORMAT)
        if item['role'] == 'user':
            messages.append(message('user', text, sent_at=parse_st_date(item.get('time'))))
            continue
        name = item.get('name') if isinstance(item.get('name'), str) else ''
        if isinstance(item.get('saying'), str) and item['saying']:
            speakers.add(item['saying'])
        messages.append(message('assistant', text, name=name.strip(), sent_at=parse_st_date(item.get('time'))))
    note, title = chat.get('note'), chat.get('name')
    return ParsedChat(FORMAT, messages, title=title.strip() if titled and isinstance(title, str) else '',
                      chat_metadata={'note_prompt': note} if isinstance(note, str) and note.strip() else {},
                      group=len(speakers) > 1)
