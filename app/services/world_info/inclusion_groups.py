"""Inclusion groups: of the entries of one group that matched in a scan step, only one goes into the prompt
(ST's `filterByInclusionGroups`).

Per group, in this order: if some members are sticky, only those stay; members cooling down or delayed leave; with
group scoring (global setting or any member's override) members that matched fewer keys than the best leave; if the
group already put an entry in the prompt in an earlier step, all leave; otherwise one winner stays: the highest
`order` among members with "prioritize inclusion" (`group_override`), else a random pick weighted by `group_weight`
(if no member wins the draw, which only negative weights allow, all stay, as in SillyTavern).

Differences from SillyTavern, on purpose: "already activated" compares group names (SillyTavern compares the whole
comma-separated group string with one name), and members that left for cooldown or delay cannot win the draw.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from .entry import DEFAULT_WEIGHT


class GroupMember(Protocol):
    sticky_now: bool
    groups: list[str]
    order: int
    group_override: bool
    group_weight: int
    use_group_scoring: bool | None


def filter_by_inclusion_groups(new_entries: list[GroupMember], activated_groups: set[str], *,
                               is_blocked: Callable[[GroupMember], bool], score: Callable[[GroupMember], int],
                               use_group_scoring: bool, rng: random.Random) -> list[GroupMember]:
    """`new_entries` without the group losers (a new list, in the same order)."""
    grouped: dict[str, list[GroupMember]] = {}
    for entry in new_entries:
        for name in entry.groups:
            grouped.setdefault(name, []).append(entry)
    removed: set[int] = set()
    for name, members in grouped.items():
        removed.update(id(loser) for loser in _losers(name, members, activated_groups, is_blocked, score,
                                                       use_group_scoring, rng))
    return [entry for entry in new_entries if id(entry) not in removed]


def _losers(name: str, members: list[GroupMember], activated_groups: set[str],
            is_blocked: Callable[[GroupMember], bool], score: Callable[[GroupMember], int], use_group_scoring: bool,
            rng: random.Random) -> list[GroupMember]:
    sticky = [entry for entry in members if entry.sticky_now]
    if sticky:
        return [entry for entry in members if not entry.sticky_now]
    losers = [entry for entry in members if is_blocked(entry)]
    members = [entry for entry in members if not is_blocked(entry)]
    if use_group_scoring or any(entry.use_group_scoring for entry in members):
        scores = {id(entry): score(entry) for entry in members}
        best = max(scores.values(), default=0)
        scored_out = [entry for entry in members if _is_scored(entry, use_group_scoring)
                      and scores[id(entry)] < best]
        losers += scored_out
        members = [entry for entry in members if entry not in scored_out]
    if name in activated_groups:
        return losers + members
    if len(members) <= 1:
        return losers
    winner = _winner(members, rng)
    if winner is None:
        return losers
    return losers + [entry for entry in members if entry is not winner]


def _is_scored(entry: GroupMember, use_group_scoring: bool) -> bool:
    return use_group_scoring if entry.use_group_scoring is None else entry.use_group_scoring


def _winner(members: list[GroupMember], rng: random.Random) -> GroupMember | None:
    prioritized = sorted((entry for entry in members if entry.group_override), key=lambda entry: -entry.order)
    if prioritized:
        return prioritized[0]
    total = sum(_weight(entry) for entry in members)
    roll = rng.random() * total
    reached = 0
    for entry in members:
        reached += _weight(entry)
        if roll <= reached:
            return entry
    return None


def _weight(entry: GroupMember) -> int:
    return DEFAULT_WEIGHT if entry.group_weight is None else entry.group_weight
