"""In-chat injections: text placed among the chat history, counted from its end (depth 0 = after the last message).

SillyTavern injects the author's note, the character's note, @depth lorebook entries and prompt-manager blocks set to
"in chat" this way. Texts at the same depth and role are joined into one message; at one depth the system message
comes first, then user, then assistant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..providers.base import ChatMessage

ROLE_ORDER = ('system', 'user', 'assistant')
ROLE_NAMES = {0: 'system', 1: 'user', 2: 'assistant'}


@dataclass(frozen=True)
class Injection:
    depth: int
    role: str
    text: str
    source: str


def role_name(role: int | str | None) -> str:
    """SillyTavern stores roles as 0/1/2 in lorebooks and as names elsewhere; both become a message role."""
    if isinstance(role, str) and role in ROLE_ORDER:
        return role
    return ROLE_NAMES.get(role if isinstance(role, int) else 0, 'system')


def splice(history: Sequence[tuple[ChatMessage, str]],
           injections: Sequence[Injection]) -> list[tuple[ChatMessage, str]]:
    """The history with each injection inserted at its depth; pairs are (message, the block it came from)."""
    result = list(history)
    by_depth: dict[int, list[Injection]] = {}
    for injection in injections:
        if injection.text.strip():
            by_depth.setdefault(min(max(0, injection.depth), len(history)), []).append(injection)
    inserted = 0
    for depth in sorted(by_depth, reverse=True):
        merged = _merged(by_depth[depth])
        index = len(history) - depth + inserted
        result[index:index] = merged
        inserted += len(merged)
    return result


def _merged(injections: list[Injection]) -> list[tuple[ChatMessage, str]]:
    merged: list[tuple[ChatMessage, str]] = []
    for role in ROLE_ORDER:
        same_role = [item for item in injections if item.role == role]
        if same_role:
            text = '\n'.join(item.text.strip() for item in same_role)
            merged.append((ChatMessage(role, text), same_role[0].source))  # type: ignore[arg-type]
    return merged
