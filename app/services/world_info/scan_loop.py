"""The scan loop of SillyTavern's `checkWorldInfo` (`while (scanState)`).

Each step considers every entry not yet activated and not failed by a probability roll. It skips disabled entries,
entries whose `triggers` exclude this kind of generation, delayed and cooling-down entries (unless sticky), entries
delayed until a recursion level not reached yet and, during recursion, entries that exclude recursion; then
`@@activate`, `@@dont_activate`, `constant` and an active `sticky` decide, else the primary keys and the secondary-key
logic. The matches go through the inclusion groups, then in order (sticky first, then source order) through the
probability roll and the token budget. Afterwards, with recursion on, the content of the new entries (unless they
prevent recursion) is scanned in a further step, up to the maximum number of steps; with a minimum number of
activations, steps sweep one message deeper until it is reached; delayed recursion levels are visited in turn.

Two sane departures from SillyTavern: the budget counts the tokens of every entry activated so far, each entry
counted once (SillyTavern re-counts the growing text and forgets entries that prevent recursion), and only entries
that went into the prompt feed recursion (SillyTavern also feeds those the budget cut off).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .candidates import Candidate
from .entry import LOGIC_AND_ALL, LOGIC_AND_ANY, LOGIC_NOT_ALL, LOGIC_NOT_ANY
from .inclusion_groups import filter_by_inclusion_groups
from .matching import ScanBuffer, match_key
from .settings import ScanInput, WorldInfoSettings
from .timed_effects import TimedEffects

SCAN_NONE, SCAN_INITIAL, SCAN_RECURSION, SCAN_MIN_ACTIVATIONS = 0, 1, 2, 3


@dataclass
class Fired:
    """Why an entry went into the prompt and how many tokens it took."""

    tokens: int
    reason: str
    matched: str


class ScanLoop:
    """The state of one scan: the buffer, the entries activated so far and why, the budget and recursion levels."""

    def __init__(self, candidates: list[Candidate], scan: ScanInput, settings: WorldInfoSettings,
                 timed: TimedEffects, count_tokens: Callable[[str], int], rng: random.Random,
                 substitute: Callable[[str], str]) -> None:
        self.candidates, self.scan, self.settings, self.timed = candidates, scan, settings, timed
        self.count_tokens, self.rng, self.substitute = count_tokens, rng, substitute
        fields = {name: getattr(scan, name) for name in ('persona_description', 'character_description',
                                                         'character_personality', 'character_depth_prompt',
                                                         'scenario', 'creator_notes')}
        self.buffer = ScanBuffer(scan.messages, scan.extra_scan_text, fields, settings.scan_depth)
        self.activated: dict[str, tuple[Candidate, Fired]] = {}
        self.failed_probability: set[str] = set()
        self.activated_tokens = 0
        self.overflowed = False
        self.budget = _budget(settings, scan.max_context)
        levels = sorted({c.entry.delay_until_recursion for c in candidates if c.entry.delay_until_recursion})
        self.recursion_level = levels.pop(0) if levels else 0
        self.pending_levels = levels
        self.recursion_steps = 0

    def run(self) -> None:
        """Scan step by step until nothing new activates (or a limit stops it); results are in `activated`."""
        for candidate in self.candidates:
            candidate.sticky_now = self.timed.is_active('sticky', candidate)
        state, loops = SCAN_INITIAL, 0
        while state:
            if self.settings.max_recursion_steps and self.settings.max_recursion_steps <= loops:
                break
            loops += 1
            matched = {}
            for candidate in self.candidates:
                verdict = self._verdict(candidate, state)
                if verdict is not None:
                    matched[candidate.key] = verdict
            ordered = sorted((c for c in self.candidates if c.key in matched),
                             key=lambda c: (not c.sticky_now, c.index))
            kept = filter_by_inclusion_groups(
                ordered, self._activated_groups(), is_blocked=self._blocked_in_group,
                score=partial(self._score, state=state), use_group_scoring=self.settings.use_group_scoring,
                rng=self.rng)
            admitted = self._admit(kept, matched)
            state = self._next_state(state, [c for c in admitted if not c.entry.prevent_recursion])

    def _next_state(self, state: int, for_recursion: list[Candidate]) -> int:
        """What the next step scans: recursion, one message deeper for minimum activations, or nothing."""
        settings, next_state = self.settings, SCAN_NONE
        if settings.recursive and not self.overflowed and for_recursion:
            next_state = SCAN_RECURSION
        if settings.recursive and not self.overflowed and state == SCAN_MIN_ACTIVATIONS and self.buffer.recursion:
            next_state = SCAN_RECURSION
        if not next_state and not self.overflowed and len(self.activated) < settings.min_activations:
            too_deep = (settings.min_activations_depth_max > 0
                        and self.buffer.depth > settings.min_activations_depth_max)
            if not too_deep and self.buffer.depth <= len(self.scan.messages):
                next_state = SCAN_MIN_ACTIVATIONS
                self.buffer.skew += 1
        if not next_state and self.pending_levels:
            next_state = SCAN_RECURSION
            self.recursion_level = self.pending_levels.pop(0)
        if next_state == SCAN_RECURSION:
            self.recursion_steps += 1
        text = '\n'.join(c.final_content for c in for_recursion)
        if next_state and text:
            self.buffer.recursion.append(text)
        return next_state

    def _verdict(self, candidate: Candidate, state: int) -> tuple[str, str] | None:
        """Why the entry matches in this step, as (reason, matched keys), or None when it does not."""
        entry, timed = candidate.entry, self.timed
        if candidate.key in self.activated or candidate.key in self.failed_probability or entry.disable:
            return None
        if entry.triggers and self.scan.trigger not in entry.triggers:
            return None
        sticky = candidate.sticky_now
        if timed.is_active('delay', candidate) or (timed.is_active('cooldown', candidate) and not sticky):
            return None
        level = entry.delay_until_recursion
        if level and not sticky and (state != SCAN_RECURSION or level > self.recursion_level):
            return None
        if state == SCAN_RECURSION and self.settings.recursive and entry.exclude_recursion and not sticky:
            return None
        if '@@activate' in candidate.decorators:
            return 'decorator', ''
        if '@@dont_activate' in candidate.decorators:
            return None
        if entry.constant:
            return 'constant', ''
        if sticky:
            return 'sticky', ''
        matched = self._key_match(candidate, state)
        if matched is None:
            return None
        reason = {SCAN_RECURSION: f'recursion:{self.recursion_steps}', SCAN_MIN_ACTIVATIONS: 'min_activations'}
        return reason.get(state, matched), matched

    def _key_match(self, candidate: Candidate, state: int) -> str | None:
        entry = candidate.entry
        text = self.buffer.text_for(entry.scan_depth, candidate.match_fields(),
                                    with_recursion=state != SCAN_MIN_ACTIVATIONS)
        primary = next((key for key in entry.key if self._matches(text, key, candidate)), None)
        if primary is None:
            return None
        found = f'key:{primary}'
        if not (entry.selective and entry.secondary_keys):
            return found
        logic, hits = entry.selective_logic, []
        for key in entry.secondary_keys:
            hit = self._matches(text, key, candidate)
            hits.append(hit)
            if logic == LOGIC_AND_ANY and hit:
                return f'{found} + secondary:{key}'
            if logic == LOGIC_NOT_ALL and not hit:
                return f'{found} + without:{key}'
        if logic == LOGIC_NOT_ANY and not any(hits):
            return f'{found} + no secondary'
        if logic == LOGIC_AND_ALL and all(hits):
            return f'{found} + all secondary'
        return None

    def _matches(self, text: str, key: str, candidate: Candidate) -> bool:
        needle = self.substitute(key).strip()
        entry, settings = candidate.entry, self.settings
        return bool(needle) and match_key(
            text, needle,
            case_sensitive=settings.case_sensitive if entry.case_sensitive is None else entry.case_sensitive,
            whole_words=settings.match_whole_words if entry.match_whole_words is None else entry.match_whole_words)

    def _score(self, candidate: Candidate, state: int) -> int:
        """Group scoring: primary keys found, plus secondary keys found for AND_ANY (and AND_ALL when all are)."""
        entry = candidate.entry
        if not entry.key:
            return 0
        text = self.buffer.text_for(entry.scan_depth, candidate.match_fields(),
                                    with_recursion=state != SCAN_MIN_ACTIVATIONS)
        primary = sum(self._matches(text, key, candidate) for key in entry.key)
        secondary = sum(self._matches(text, key, candidate) for key in entry.secondary_keys)
        if entry.secondary_keys and (entry.selective_logic == LOGIC_AND_ANY or (
                entry.selective_logic == LOGIC_AND_ALL and secondary == len(entry.secondary_keys))):
            return primary + secondary
        return primary

    def _blocked_in_group(self, candidate: Candidate) -> bool:
        return self.timed.is_active('cooldown', candidate) or self.timed.is_active('delay', candidate)

    def _activated_groups(self) -> set[str]:
        return {name for candidate, _ in self.activated.values() for name in candidate.groups}

    def _admit(self, kept: list[Candidate], matched: dict[str, tuple[str, str]]) -> list[Candidate]:
        """Probability rolls and the budget, in order; the entries that made it into the prompt."""
        admitted: list[Candidate] = []
        ignoring_left = sum(c.entry.ignore_budget for c in kept)
        running = self.activated_tokens
        for candidate in kept:
            entry = candidate.entry
            ignoring_left -= entry.ignore_budget
            if self.overflowed and not entry.ignore_budget:
                if ignoring_left > 0:
                    continue
                break
            if not self._passes_probability(candidate):
                self.failed_probability.add(candidate.key)
                continue
            candidate.final_content = self.substitute(candidate.content)
            tokens = self.count_tokens(candidate.final_content)
            running += tokens
            if not entry.ignore_budget and running >= self.budget:
                self.overflowed = True
                continue
            reason, keys = matched[candidate.key]
            self.activated[candidate.key] = (candidate, Fired(tokens, reason, keys))
            self.activated_tokens += tokens
            admitted.append(candidate)
        return admitted

    def _passes_probability(self, candidate: Candidate) -> bool:
        entry = candidate.entry
        if not entry.use_probability or entry.probability == 100 or candidate.sticky_now:
            return True
        return self.rng.random() * 100 <= entry.probability


def _budget(settings: WorldInfoSettings, max_context: int) -> int:
    budget = int(settings.budget_percent * max_context / 100 + 0.5) or 1
    return min(budget, settings.budget_cap) if settings.budget_cap > 0 else budget
