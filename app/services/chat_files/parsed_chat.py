"""One chat read from a file of any accepted format, ready to be stored, and the helpers the format readers share.

SillyTavern and Chub files keep their header and every message field (see `st_message`); the other formats become
plain messages, as if they had been written here: the role, the speaker's name when the file gives one (user
messages speak as the chat's persona), the text, any alternative replies as swipes and the time when the file has
it. What the file says about the whole chat (its start, an author's note) goes into SillyTavern's `chat_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...errors import InvalidInputError
from .limits import ChatFileLimits
from .st_message import MAX_NAME, ImportedMessage

FORMAT_LABELS = {'sillytavern': 'SillyTavern', 'chub': 'Chub', 'cai_tools': 'CAI Tools', 'oobabooga': 'oobabooga',
                 'agnai': 'Agnai', 'kobold_lite': 'KoboldAI Lite', 'risuai': 'RisuAI'}


@dataclass
class ParsedChat:
    """`header` is SillyTavern's header line (None for other formats and headerless group chats);
    `character_name` is the character the file names, if any; an empty `title` means "name it after the file"."""

    source_format: str
    messages: list[ImportedMessage]
    header: dict[str, Any] | None = None
    character_name: str = ''
    title: str = ''
    started: datetime | None = None
    chat_metadata: dict[str, Any] = field(default_factory=dict)
    group: bool = False


def message(role: str, text: str, *, name: str = '', sent_at: datetime | None = None,
            swipes: list[str] | None = None, swipe_index: int = 0) -> ImportedMessage:
    """A message as if written here; the shown swipe always holds `text`."""
    alternatives = list(swipes) if swipes and 0 <= swipe_index < len(swipes) else [text]
    index = swipe_index if swipes and 0 <= swipe_index < len(swipes) else 0
    alternatives[index] = text
    return ImportedMessage(role=role, name=name[:MAX_NAME], content=text, swipes=alternatives, swipe_index=index,
                           sent_at=sent_at, meta={})


def object_list(value: object) -> list[Any] | None:
    return value if isinstance(value, list) else None


def text_field(item: object, key: str, number: int, source_format: str) -> str:
    """`item[key]` when it is text (a missing or null text is empty); refuses anything else, naming the message."""
    if not isinstance(item, dict):
        raise unreadable_message(number, source_format)
    value = item.get(key)
    if value is None:
        return ''
    if not isinstance(value, str):
        raise unreadable_message(number, source_format)
    return value


def unreadable_message(number: int, source_format: str) -> InvalidInputError:
    label = FORMAT_LABELS[source_format]
    return InvalidInputError('error.chat_format.bad_message',
                             f'Message {number} of this {label} chat cannot be read: it is not a message with text.',
                             number=number, format=label)


def check_chats(chats: list[ParsedChat], source_format: str, limits: ChatFileLimits) -> list[ParsedChat]:
    """The chats that hold messages; refuses a file with none, too many messages or a message that is too long."""
    kept = [chat for chat in chats if chat.messages]
    label = FORMAT_LABELS[source_format]
    if not kept:
        raise InvalidInputError('error.chat_format.no_messages', f'This {label} chat holds no messages.',
                                format=label)
    if sum(len(chat.messages) for chat in kept) > limits.max_lines:
        raise InvalidInputError('error.chat_format.too_many_messages',
                                f'The chat file has more than {limits.max_lines} messages.', limit=limits.max_lines)
    for chat in kept:
        for number, item in enumerate(chat.messages, start=1):
            if max(len(text) for text in item.swipes) > limits.max_line_chars:
                raise InvalidInputError('error.chat_format.message_too_long',
                                        f'Message {number} is longer than {limits.max_line_chars} characters.',
                                        number=number, limit=limits.max_line_chars)
    return kept
