"""The entries a scan considers, in SillyTavern's order (`getSortedEntries`), with their decorators parsed out.

Order: the chat's book first, then the persona's, then the global and character books by the character strategy
(evenly: all mixed; character first; global first), each part sorted by `order`, highest first. A book attached in
several ways counts once, where SillyTavern keeps it: global before chat before persona before character.

Decorators are `@@name` lines at the very start of an entry's content (`@@activate`, `@@dont_activate`); `@@@name`
is an escaped fallback form. They are removed from the content; an entry that is nothing but decorators has empty
content (SillyTavern would keep the decorator text in that corner case).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .entry import WorldEntry

SCOPES = ('chat', 'persona', 'character', 'global')
SCOPE_PRECEDENCE = ('global', 'chat', 'persona', 'character')
STRATEGY_EVENLY = 0
STRATEGY_CHARACTER_FIRST = 1
STRATEGY_GLOBAL_FIRST = 2
KNOWN_DECORATORS = ('@@activate', '@@dont_activate')
MATCH_FIELDS = (('match_persona_description', 'persona_description'),
                ('match_character_description', 'character_description'),
                ('match_character_personality', 'character_personality'),
                ('match_character_depth_prompt', 'character_depth_prompt'),
                ('match_scenario', 'scenario'), ('match_creator_notes', 'creator_notes'))


@dataclass
class BookSource:
    """One lorebook taking part in a scan and why: attached to the chat, the persona, the character, or global."""

    book_id: str
    name: str
    scope: str
    entries: list[WorldEntry]

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f'Unknown lorebook scope {self.scope!r}; expected one of {", ".join(SCOPES)}.')


@dataclass(eq=False)
class Candidate:
    """An entry in a scan: its book, identity for timed effects (`key`, `hash`), decorators and clean content."""

    source: BookSource
    entry: WorldEntry
    index: int
    key: str
    hash: int
    decorators: list[str]
    content: str
    sticky_now: bool = False
    final_content: str = ''
    groups: list[str] = field(default_factory=list)

    @property
    def sticky(self) -> int:
        return self.entry.sticky or 0

    @property
    def cooldown(self) -> int:
        return self.entry.cooldown or 0

    @property
    def delay(self) -> int:
        return self.entry.delay or 0

    @property
    def order(self) -> int:
        return self.entry.order

    @property
    def group_override(self) -> bool:
        return self.entry.group_override

    @property
    def group_weight(self) -> int:
        return self.entry.group_weight

    @property
    def use_group_scoring(self) -> bool | None:
        return self.entry.use_group_scoring

    def match_fields(self) -> list[str]:
        """The character and persona fields this entry also scans (its `match_*` flags)."""
        return [name for flag, name in MATCH_FIELDS if getattr(self.entry, flag)]


def sorted_candidates(sources: list[BookSource], strategy: int) -> list[Candidate]:
    by_scope: dict[str, list[tuple[BookSource, WorldEntry]]] = {scope: [] for scope in SCOPES}
    for source in _distinct_books(sources):
        by_scope[source.scope].extend((source, entry) for entry in source.entries)
    glob, character = by_scope['global'], by_scope['character']
    if strategy == STRATEGY_CHARACTER_FIRST:
        rest = _by_order(character) + _by_order(glob)
    elif strategy == STRATEGY_GLOBAL_FIRST:
        rest = _by_order(glob) + _by_order(character)
    else:
        rest = _by_order(glob + character)
    ordered = _by_order(by_scope['chat']) + _by_order(by_scope['persona']) + rest
    return [_candidate(source, entry, index) for index, (source, entry) in enumerate(ordered)]


def parse_decorators(content: str) -> tuple[list[str], str]:
    """The known decorators at the start of `content` and the content without them."""
    if not content.startswith('@@'):
        return [], content
    decorators: list[str] = []
    lines = content.split('\n')
    fell_back = False
    for index, line in enumerate(lines):
        if not line.startswith('@@'):
            return decorators, '\n'.join(lines[index:])
        if line.startswith('@@@') and not fell_back:
            continue
        name = (line[1:] if line.startswith('@@@') else line).rstrip()
        if name.startswith(KNOWN_DECORATORS):
            decorators.append(name)
            fell_back = False
        else:
            fell_back = True
    return decorators, ''


def _distinct_books(sources: list[BookSource]) -> list[BookSource]:
    kept: dict[str, BookSource] = {}
    for source in sorted(sources, key=lambda source: SCOPE_PRECEDENCE.index(source.scope)):
        kept.setdefault(source.book_id, source)
    return [source for source in sources if kept[source.book_id] is source]


def _by_order(items: list[tuple[BookSource, WorldEntry]]) -> list[tuple[BookSource, WorldEntry]]:
    return sorted(items, key=lambda item: -item[1].order)


def _candidate(source: BookSource, entry: WorldEntry, index: int) -> Candidate:
    decorators, content = parse_decorators(entry.content)
    identity = json.dumps({'book': source.book_id, 'entry': entry.to_st()}, sort_keys=True, ensure_ascii=False)
    digest = int(hashlib.sha256(identity.encode()).hexdigest()[:8], 16)
    return Candidate(source=source, entry=entry, index=index, key=f'{source.book_id}.{entry.uid}', hash=digest,
                     decorators=decorators, content=content, groups=entry.groups())
