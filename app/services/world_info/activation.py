"""Which lorebook entries go into a prompt, and where: SillyTavern's `checkWorldInfo`.

One call scans the chat (newest message first) against every entry of the given books (see `scan_loop` for the
steps) and returns the activated texts bucketed by position, the entries that fired and why, and the updated
timed-effect state. It is deterministic for a given `random.Random`: probability rolls and inclusion-group draws
use only it.

Not here: the character filter (`characterFilter`, by SillyTavern character file name or tag) is ignored, as our
characters have no SillyTavern file names; entries forced on by `/wi` commands do not exist; the Regex extension is
not applied to contents (the caller may).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .candidates import BookSource, Candidate, sorted_candidates
from .entry import (
    POSITION_AFTER,
    POSITION_AN_BOTTOM,
    POSITION_AN_TOP,
    POSITION_AT_DEPTH,
    POSITION_BEFORE,
    POSITION_EM_BOTTOM,
    POSITION_EM_TOP,
    POSITION_OUTLET,
)
from .scan_loop import Fired, ScanLoop
from .settings import ScanInput, WorldInfoSettings
from .timed_effects import TimedEffects

__all__ = ['Activation', 'BookSource', 'DepthInjection', 'FiredEntry', 'ScanInput', 'WorldInfoSettings', 'activate']


@dataclass(frozen=True)
class DepthInjection:
    depth: int
    role: int
    text: str


@dataclass(frozen=True)
class FiredEntry:
    """One activated entry and why: `reason` is 'constant', 'sticky', 'decorator', 'key:<key>' (with
    ' + secondary:<key>' and the like), 'recursion:<step>' or 'min_activations'; `matched` names the keys that matched
    in every case that matched keys."""

    book_id: str
    book_name: str
    uid: int
    comment: str
    position: int
    order: int
    tokens: int
    reason: str
    matched: str = ''


@dataclass
class Activation:
    before: str = ''
    after: str = ''
    an_top: list[str] = field(default_factory=list)
    an_bottom: list[str] = field(default_factory=list)
    examples_top: list[str] = field(default_factory=list)
    examples_bottom: list[str] = field(default_factory=list)
    at_depth: list[DepthInjection] = field(default_factory=list)
    outlets: dict[str, str] = field(default_factory=dict)
    fired: list[FiredEntry] = field(default_factory=list)
    timed_state: dict[str, Any] = field(default_factory=dict)
    budget_overflowed: bool = False


def _identity(text: str) -> str:
    return text


def activate(sources: list[BookSource], scan: ScanInput, settings: WorldInfoSettings, *,
             count_tokens: Callable[[str], int], timed_state: dict[str, Any] | None, rng: random.Random,
             substitute: Callable[[str], str] = _identity) -> Activation:
    """The lorebook part of one prompt; `timed_state` (ST's `chat_metadata.timedWorldInfo`) is not changed, the
    updated copy is in the result."""
    candidates = sorted_candidates(sources, settings.character_strategy)
    timed = TimedEffects(timed_state, scan.chat_length, candidates)
    timed.check()
    if not candidates:
        return Activation(timed_state=timed.state)
    run = ScanLoop(candidates, scan, settings, timed, count_tokens, rng, substitute)
    run.run()
    activated = [candidate for candidate, _ in run.activated.values()]
    timed.record(activated)
    result = assemble(activated)
    result.fired = [_fired(candidate, fired) for candidate, fired in run.activated.values()]
    result.timed_state = timed.state
    result.budget_overflowed = run.overflowed
    return result


def _fired(candidate: Candidate, fired: Fired) -> FiredEntry:
    entry = candidate.entry
    return FiredEntry(book_id=candidate.source.book_id, book_name=candidate.source.name, uid=entry.uid,
                      comment=entry.comment, position=entry.position, order=entry.order, tokens=fired.tokens,
                      reason=fired.reason, matched=fired.matched)


SIMPLE_BUCKETS = {POSITION_BEFORE: 'before', POSITION_AFTER: 'after', POSITION_AN_TOP: 'an_top',
                  POSITION_AN_BOTTOM: 'an_bottom', POSITION_EM_TOP: 'examples_top',
                  POSITION_EM_BOTTOM: 'examples_bottom'}


def assemble(activated: list[Candidate]) -> Activation:
    """Bucket the activated contents by position, in ascending `order` (SillyTavern walks them from the highest
    order down and prepends, so entries of equal order come out in reverse activation order); depth entries are
    grouped by (depth, role) and outlets are appended in the walking order, as SillyTavern does."""
    buckets: dict[str, list[str]] = {name: [] for name in SIMPLE_BUCKETS.values()}
    depth_groups: dict[tuple[int, int], list[str]] = {}
    outlets: dict[str, list[str]] = {}
    for candidate in sorted(activated, key=lambda c: -c.entry.order):
        entry, content = candidate.entry, candidate.final_content
        if not content:
            continue
        if entry.position in SIMPLE_BUCKETS:
            buckets[SIMPLE_BUCKETS[entry.position]].insert(0, content)
        elif entry.position == POSITION_AT_DEPTH:
            depth_groups.setdefault((entry.depth, entry.role), []).insert(0, content)
        elif entry.position == POSITION_OUTLET and entry.outlet_name:
            outlets.setdefault(entry.outlet_name, []).append(content)
    return Activation(
        before='\n'.join(buckets['before']), after='\n'.join(buckets['after']), an_top=buckets['an_top'],
        an_bottom=buckets['an_bottom'], examples_top=buckets['examples_top'],
        examples_bottom=buckets['examples_bottom'],
        at_depth=[DepthInjection(depth, role, '\n'.join(texts)) for (depth, role), texts in depth_groups.items()],
        outlets={name: '\n'.join(texts) for name, texts in outlets.items()})
