"""Human-readable exports of a chat: Markdown and plain text.

Like SillyTavern's text export, system messages (notices, messages hidden from the prompt) are left out, the text a
message displays (`extra.display_text`) wins over its raw text, and `{{user}}`/`{{char}}` are filled in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...db.models import Message
from ..name_macros import substitute
from .dates import format_send_date
from .st_message import ST_KEY


@dataclass(frozen=True)
class Speakers:
    user: str
    character: str

    def name_of(self, message: Message) -> str:
        return message.name or (self.user if message.role == 'user' else self.character)

    def text_of(self, message: Message) -> str:
        extra = (message.meta.get(ST_KEY) or {}).get('extra')
        shown = extra.get('display_text') if isinstance(extra, dict) else None
        return substitute(shown if isinstance(shown, str) and shown else message.content, self.character, self.user)


def write_markdown(title: str, messages: Iterable[Message], speakers: Speakers) -> bytes:
    parts = [f'# {title}\n']
    parts.extend(f'**{speakers.name_of(message)}** · {format_send_date(message.created_at)}\n\n'
                 f'{speakers.text_of(message)}\n' for message in _shown(messages))
    return '\n'.join(parts).encode()


def write_text(messages: Iterable[Message], speakers: Speakers) -> bytes:
    return ''.join(f'{speakers.name_of(message)}: {speakers.text_of(message)}\n\n'
                   for message in _shown(messages)).encode()


def _shown(messages: Iterable[Message]) -> list[Message]:
    return [message for message in messages if message.role != 'system']
