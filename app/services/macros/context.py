"""What the macros of one prompt can see: names, card fields, chat state, variables, the clock and the dice.

One `MacroContext` is built per prompt and shared by every text of it, because a few macros are stateful across
texts as in SillyTavern: `{{original}}` expands only once, `{{setvar}}` and friends change `variables`, and
`{{banned "word"}}` collects words into `banned_words` for the sampler settings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class MacroContext:
    """The values behind SillyTavern's macros; everything is optional so callers fill only what they know.

    `variables` is the chat's `chat_metadata.variables` and `global_variables` the account-wide ones: both are
    changed in place by `{{setvar}}`, `{{addvar}}`, `{{incvar}}` and `{{decvar}}` (and the global forms) and hold
    only JSON values. `original` is what `{{original}}` stands for: `None` leaves the macro alone, a text replaces
    the first `{{original}}` and every later one with nothing. `group` defaults to `char`. `extra` holds call-site
    macros such as `lastChatMessage` or the instruct-template ones, matched without regard to case.
    """

    user: str = ''
    char: str = ''
    persona: str = ''
    description: str = ''
    personality: str = ''
    scenario: str = ''
    mes_examples: str = ''
    char_version: str = ''
    char_prompt: str = ''
    char_jailbreak: str = ''
    model: str = ''
    group: str | None = None
    original: str | None = None
    last_message: str = ''
    last_user_message: str = ''
    last_char_message: str = ''
    last_message_id: str = ''
    last_swipe_id: str = ''
    current_swipe_id: str = ''
    input: str = ''
    idle_duration: str = 'just now'
    max_prompt: str = ''
    variables: dict[str, Any] = field(default_factory=dict)
    global_variables: dict[str, Any] = field(default_factory=dict)
    chat_id_hash: int = 0
    now: datetime = field(default_factory=_now)
    rng: random.Random = field(default_factory=random.Random)
    extra: dict[str, str] = field(default_factory=dict)
    banned_words: list[str] = field(default_factory=list)

    def take_original(self) -> str:
        """The text for `{{original}}` this time: the first use gets it, later ones get nothing."""
        text, self.original = self.original or '', ''
        return text
