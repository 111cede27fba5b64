"""A character's two notes for the prompt, stored in its card so they travel with it.

The character's note is the card's standard `extensions.depth_prompt` ({prompt, depth, role}), which SillyTavern
and card sites read and write; it is injected into the chat at its depth every reply. The character's author's note
(`extensions.tavernai_plus.authors_note`) replaces the chat's author's note, or goes before or after it, whenever
that note is due — SillyTavern keeps the same setting per character outside the card.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, Field

APP_EXTENSION = 'tavernai_plus'
DEFAULT_DEPTH = 4


class CharacterNotes(BaseModel):
    depth_prompt: str = Field(default='', max_length=20_000)
    depth: int = Field(default=DEFAULT_DEPTH, ge=0, le=1000)
    role: Literal['system', 'user', 'assistant'] = 'system'
    authors_note: str = Field(default='', max_length=20_000)
    combine: Literal['replace', 'before', 'after'] = 'replace'

    @classmethod
    def of(cls, card: dict[str, Any]) -> CharacterNotes:
        """Read both notes from a card, tolerating missing or odd values."""
        extensions = (card.get('data') or {}).get('extensions') or {}
        depth_prompt = extensions.get('depth_prompt') if isinstance(extensions.get('depth_prompt'), dict) else {}
        note = (extensions.get(APP_EXTENSION) or {}).get('authors_note') or {}
        try:
            depth = min(1000, max(0, int(depth_prompt.get('depth', DEFAULT_DEPTH))))
        except (TypeError, ValueError):
            depth = DEFAULT_DEPTH
        role = depth_prompt.get('role')
        combine = note.get('combine')
        return cls(depth_prompt=str(depth_prompt.get('prompt') or ''), depth=depth,
                   role=role if role in ('system', 'user', 'assistant') else 'system',
                   authors_note=str(note.get('prompt') or ''),
                   combine=combine if combine in ('replace', 'before', 'after') else 'replace')

    def applied_to(self, card: dict[str, Any]) -> dict[str, Any]:
        """A copy of the card carrying these notes; every other key of the card stays as it was."""
        result = copy.deepcopy(card)
        extensions = result.setdefault('data', {}).setdefault('extensions', {})
        extensions['depth_prompt'] = {**(extensions.get('depth_prompt') or {}), 'prompt': self.depth_prompt,
                                      'depth': self.depth, 'role': self.role}
        app_data = extensions.setdefault(APP_EXTENSION, {})
        if self.authors_note.strip():
            app_data['authors_note'] = {'prompt': self.authors_note, 'combine': self.combine}
        else:
            app_data.pop('authors_note', None)
        if not app_data:
            extensions.pop(APP_EXTENSION)
        return result
