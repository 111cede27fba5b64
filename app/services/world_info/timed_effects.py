"""Sticky, cooldown and delay: lorebook effects that last a number of messages (ST's `WorldInfoTimedEffects`).

The state has SillyTavern's `chat_metadata.timedWorldInfo` shape: `{'sticky': {key: effect}, 'cooldown': {...}}`
with `effect = {'hash', 'start', 'end', 'protected'}`, `start` being the chat length when the effect began and `end`
`start` plus the entry's sticky/cooldown count. The key is `<book id>.<uid>` (SillyTavern uses the world's name; ids
survive renaming) and the hash identifies the entry's exact content, so an edited entry no longer matches its old
effect. Rules, as in SillyTavern:

- an effect whose chat did not advance past its start (a swipe, a regenerate, a deleted message) is dropped unless
  it is protected; an effect of an entry that no longer exists is dropped once its end has passed;
- an effect ends when the chat length reaches `end`; a sticky effect that ends starts the entry's cooldown
  (protected, so it survives the swipe that follows);
- a newly activated entry with `sticky`/`cooldown` gets an effect unless it already has one;
- `delay` needs no state: the entry stays off while the chat has fewer messages than `delay`.

The caller's state is never changed: this works on a copy and the activation returns it.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from .entry import read_int

EFFECT_KINDS = ('sticky', 'cooldown')


class TimedEntry(Protocol):
    """What timed effects need to know of a candidate entry."""

    key: str
    hash: int
    sticky: int
    cooldown: int
    delay: int


class TimedEffects:
    def __init__(self, state: dict[str, Any] | None, chat_length: int, candidates: list[TimedEntry]) -> None:
        self.state = _clean_copy(state)
        self.chat_length = chat_length
        self.candidates = candidates
        self.active: dict[str, set[int]] = {'sticky': set(), 'cooldown': set(), 'delay': set()}

    def check(self) -> None:
        """Expire or keep the stored effects and note which entries are sticky, cooling down or delayed now."""
        for kind in EFFECT_KINDS:
            self._check_kind(kind)
        self.active['delay'] = {entry.hash for entry in self.candidates
                                if entry.delay and self.chat_length < entry.delay}

    def is_active(self, kind: str, entry: TimedEntry) -> bool:
        return entry.hash in self.active[kind]

    def record(self, activated: list[TimedEntry]) -> None:
        """Start the sticky and cooldown effects of the entries that went into the prompt."""
        for entry in activated:
            for kind in EFFECT_KINDS:
                if getattr(entry, kind) and entry.key not in self.state[kind]:
                    self.state[kind][entry.key] = self._effect(entry, kind, protected=False)

    def _check_kind(self, kind: str) -> None:
        by_hash = {str(entry.hash): entry for entry in self.candidates}
        for key, effect in list(self.state[kind].items()):
            entry = by_hash.get(str(effect.get('hash')))
            start, end = read_int(effect.get('start'), 0), read_int(effect.get('end'), 0)
            if self.chat_length <= start and not effect.get('protected'):
                del self.state[kind][key]
            elif entry is None:
                if self.chat_length >= end:
                    del self.state[kind][key]
            elif not getattr(entry, kind):
                del self.state[kind][key]
            elif self.chat_length >= end:
                del self.state[kind][key]
                if kind == 'sticky':
                    self._start_cooldown_after_sticky(entry)
            else:
                self.active[kind].add(entry.hash)

    def _start_cooldown_after_sticky(self, entry: TimedEntry) -> None:
        if entry.cooldown:
            self.state['cooldown'][entry.key] = self._effect(entry, 'cooldown', protected=True)
            self.active['cooldown'].add(entry.hash)

    def _effect(self, entry: TimedEntry, kind: str, *, protected: bool) -> dict[str, Any]:
        return {'hash': entry.hash, 'start': self.chat_length, 'end': self.chat_length + getattr(entry, kind),
                'protected': protected}


def _clean_copy(state: dict[str, Any] | None) -> dict[str, Any]:
    """A deep copy with both effect maps present and only object-valued effects (other keys kept as they are)."""
    cleaned = copy.deepcopy(state) if isinstance(state, dict) else {}
    for kind in EFFECT_KINDS:
        effects = cleaned.get(kind)
        effects = effects if isinstance(effects, dict) else {}
        cleaned[kind] = {key: effect for key, effect in effects.items() if isinstance(effect, dict) and effect}
    return cleaned
