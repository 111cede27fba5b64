"""The author's note: a short instruction placed near the end of the prompt every N user messages.

A chat's note lives in its SillyTavern `chat_metadata` keys (`note_prompt`, `note_interval`, `note_depth`,
`note_position`, `note_role`), so it survives JSONL export and import both ways. A character can carry its own note
(kept in the card under `extensions.tavernai_plus.authors_note`) that replaces the chat's note or goes before or after
it, like SillyTavern's character-specific author's note (see `character_notes.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from .injections import Injection, role_name

IN_PROMPT, IN_CHAT, BEFORE_PROMPT = 0, 1, 2
DEFAULT_INTERVAL = 1
DEFAULT_DEPTH = 4


class ChatNote(BaseModel):
    """A chat's author's note, as edited in the chat's side panel."""

    prompt: str = Field(default='', max_length=20_000)
    interval: int = Field(default=DEFAULT_INTERVAL, ge=0, le=1000)
    depth: int = Field(default=DEFAULT_DEPTH, ge=0, le=1000)
    position: int = Field(default=IN_CHAT, ge=0, le=2)
    role: int = Field(default=0, ge=0, le=2)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> ChatNote:
        """Read SillyTavern's chat_metadata keys, tolerating missing or odd values."""
        def number(key: str, default: int) -> int:
            try:
                return int(meta.get(key, default))
            except (TypeError, ValueError):
                return default
        return cls(prompt=str(meta.get('note_prompt') or ''), interval=max(0, number('note_interval', 1)),
                   depth=max(0, number('note_depth', DEFAULT_DEPTH)),
                   position=min(2, max(0, number('note_position', IN_CHAT))),
                   role=min(2, max(0, number('note_role', 0))))

    def to_meta(self) -> dict[str, Any]:
        return {'note_prompt': self.prompt, 'note_interval': self.interval, 'note_depth': self.depth,
                'note_position': self.position, 'note_role': self.role}


class CharacterNote(BaseModel):
    """A character's own author's note and how it combines with the chat's note."""

    prompt: str = Field(default='', max_length=20_000)
    combine: str = Field(default='replace', pattern='^(replace|before|after)$')


@dataclass(frozen=True)
class PlacedNote:
    """The note for this reply and where it goes: before or after the main prompt, or in the chat at a depth."""

    text: str
    position: int
    depth: int
    role: str

    def injection(self) -> Injection:
        return Injection(self.depth, self.role, self.text, 'authorsNote')


def is_due(interval: int, user_messages: int) -> bool:
    """SillyTavern inserts the note on every `interval`-th user message; 0 turns it off."""
    return interval > 0 and user_messages >= interval and user_messages % interval == 0


def place_note(chat_note: ChatNote, character_note: CharacterNote, user_messages: int, *,
               top: Sequence[str] = (), bottom: Sequence[str] = ()) -> PlacedNote | None:
    """The note for the next reply, or None when it is empty or not due; `top`/`bottom` are lorebook entries
    positioned around the author's note, which only appear when the note does."""
    text = combined_text(chat_note.prompt, character_note)
    if not text.strip() or not is_due(chat_note.interval, user_messages):
        return None
    text = '\n'.join(part for part in [*top, text, *bottom] if part.strip())
    return PlacedNote(text=text, position=chat_note.position, depth=chat_note.depth, role=role_name(chat_note.role))


def combined_text(chat_prompt: str, character_note: CharacterNote) -> str:
    if not character_note.prompt.strip():
        return chat_prompt
    if character_note.combine == 'replace':
        return character_note.prompt
    parts = [character_note.prompt, chat_prompt] if character_note.combine == 'before' else \
        [chat_prompt, character_note.prompt]
    return '\n'.join(part for part in parts if part.strip())
