"""One lorebook (World Info) entry and one lorebook, with typed fields and a lossless SillyTavern round trip.

SillyTavern stores an entry as a camelCase object in its world files; `WorldEntry` gives every field a snake_case,
typed attribute with SillyTavern's default (`newWorldInfoEntryDefinition` in ST's `world-info.js`). Real files are
loosely typed (keys as one comma-separated string, `null` lists, numbers as text, `delayUntilRecursion` as a bool or a
level), so reading repairs the types, and writing is lossless: `from_st(d).to_st() == d`. To get that, an entry
read from a file remembers that object (`st_source`): a field whose value did not change is written back exactly as
it was read (same type, same spelling), keys the file did not have stay absent, and keys we do not know live in
`extra` and are written back verbatim. A new entry (no source) writes SillyTavern's complete template.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidInputError

POSITION_BEFORE = 0
POSITION_AFTER = 1
POSITION_AN_TOP = 2
POSITION_AN_BOTTOM = 3
POSITION_AT_DEPTH = 4
POSITION_EM_TOP = 5
POSITION_EM_BOTTOM = 6
POSITION_OUTLET = 7

LOGIC_AND_ANY = 0
LOGIC_NOT_ALL = 1
LOGIC_NOT_ANY = 2
LOGIC_AND_ALL = 3

ROLE_SYSTEM = 0
ROLE_USER = 1
ROLE_ASSISTANT = 2

TRIGGERS = ('normal', 'continue', 'impersonate', 'swipe', 'regenerate', 'quiet')
DEFAULT_DEPTH = 4
DEFAULT_WEIGHT = 100


@dataclass
class WorldEntry:
    """A lorebook entry. `extra` holds the keys of the source object we do not know, verbatim; `st_source` is the
    SillyTavern object the entry was read from (None for a new entry), used only to write it back losslessly."""

    uid: int = 0
    key: list[str] = field(default_factory=list)
    secondary_keys: list[str] = field(default_factory=list)
    comment: str = ''
    content: str = ''
    constant: bool = False
    vectorized: bool = False
    selective: bool = True
    selective_logic: int = LOGIC_AND_ANY
    add_memo: bool = False
    order: int = 100
    position: int = POSITION_BEFORE
    disable: bool = False
    ignore_budget: bool = False
    exclude_recursion: bool = False
    prevent_recursion: bool = False
    match_persona_description: bool = False
    match_character_description: bool = False
    match_character_personality: bool = False
    match_character_depth_prompt: bool = False
    match_scenario: bool = False
    match_creator_notes: bool = False
    delay_until_recursion: int = 0
    probability: int = 100
    use_probability: bool = True
    depth: int = DEFAULT_DEPTH
    outlet_name: str = ''
    group: str = ''
    group_override: bool = False
    group_weight: int = DEFAULT_WEIGHT
    scan_depth: int | None = None
    case_sensitive: bool | None = None
    match_whole_words: bool | None = None
    use_group_scoring: bool | None = None
    automation_id: str = ''
    role: int = ROLE_SYSTEM
    sticky: int | None = None
    cooldown: int | None = None
    delay: int | None = None
    triggers: list[str] = field(default_factory=list)
    display_index: int | None = None
    character_filter: dict[str, Any] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    st_source: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_st(cls, data: dict[str, Any]) -> WorldEntry:
        """The entry in a SillyTavern world file's object; refuses only an entry that cannot be used at all."""
        if not isinstance(data, dict):
            raise entry_not_object('?')
        values = {}
        for spec in FIELDS:
            if spec.st_key in data:
                try:
                    values[spec.attr] = spec.read(data[spec.st_key], spec.default)
                except WrongTypeError:
                    raise unusable_entry(data.get('uid', '?'), spec.st_key) from None
        extra = {key: copy.deepcopy(value) for key, value in data.items() if key not in FIELDS_BY_ST_KEY}
        return cls(**values, extra=extra, st_source=copy.deepcopy(data))

    def to_st(self) -> dict[str, Any]:
        """The SillyTavern object: the source object with only the changed fields rewritten, or the full template."""
        source = self.st_source
        written: dict[str, Any] = {}
        for key, raw in (source or {}).items():
            spec = FIELDS_BY_ST_KEY.get(key)
            if spec is None:
                if key in self.extra:
                    written[key] = self.extra[key]
                continue
            value = getattr(self, spec.attr)
            written[key] = raw if spec.read(raw, spec.default) == value else spec.write(value)
        for spec in FIELDS:
            value = getattr(self, spec.attr)
            is_new_template_field = source is None and spec.in_template
            if spec.st_key not in written and (is_new_template_field or value != spec.default):
                written[spec.st_key] = spec.write(value)
        for key, value in self.extra.items():
            written.setdefault(key, value)
        return copy.deepcopy(written)

    def groups(self) -> list[str]:
        """The inclusion groups this entry belongs to (`group` is a comma-separated list)."""
        return [name.strip() for name in self.group.split(',') if name.strip()]


@dataclass
class WorldBook:
    """A lorebook: its name, its entries in file order and its other top-level keys verbatim (`description`,
    `scan_depth`, `originalData` for a book that came from a character card, ...)."""

    name: str
    entries: list[WorldEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class WrongTypeError(ValueError):
    """A field holds a list or an object where text or keys belong: the entry cannot be used."""


def unusable_entry(uid: object, field_name: str) -> InvalidInputError:
    return InvalidInputError('error.world_info.bad_entry',
                             f'Lorebook entry {uid} cannot be used: its field "{field_name}" has the wrong type.',
                             uid=str(uid), field=field_name)


def entry_not_object(uid: object) -> InvalidInputError:
    return InvalidInputError('error.world_info.entry_not_object', f'Lorebook entry {uid} is not an object.',
                             uid=str(uid))


def read_int(raw: Any, default: Any) -> Any:
    """A whole number from a number, a numeric string or a bool; anything else gives `default`."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) else default
    if isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            return default
        return int(number) if math.isfinite(number) else default
    return default


def read_optional_int(raw: Any, default: Any) -> int | None:
    if raw is None or raw == '':
        return None
    return read_int(raw, default)


TRUE_WORDS = frozenset({'true', '1', 'yes', 'on'})
FALSE_WORDS = frozenset({'false', '0', 'no', 'off', ''})


def read_bool(raw: Any, default: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    if isinstance(raw, str):
        word = raw.strip().lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else default
    return default


def read_optional_bool(raw: Any, default: Any) -> bool | None:
    return None if raw is None else read_bool(raw, None)


def read_text(raw: Any, default: Any) -> str:
    if raw is None:
        return default
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float):
        return str(raw)
    raise WrongTypeError


def read_keys(raw: Any, _default: Any) -> list[str]:
    """A key list from a list, a comma-separated string or null; numbers in the list become text."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(',') if part.strip()]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return [str(raw)]
    if isinstance(raw, list) and all(item is None or isinstance(item, str | int | float) for item in raw):
        return [item if isinstance(item, str) else str(item) for item in raw if item is not None]
    raise WrongTypeError


def read_recursion_level(raw: Any, default: Any) -> int:
    """`delayUntilRecursion`: false/null is 0, true is level 1, a number is that level."""
    return default if raw is None else read_int(raw, default)


def read_role(raw: Any, default: Any) -> int:
    role = read_int(raw, default)
    return role if role in (ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT) else default


def read_optional_dict(raw: Any, _default: Any) -> dict[str, Any] | None:
    return copy.deepcopy(raw) if isinstance(raw, dict) else None


def read_dict(raw: Any, _default: Any) -> dict[str, Any]:
    return copy.deepcopy(raw) if isinstance(raw, dict) else {}


def _same(value: Any) -> Any:
    return copy.deepcopy(value)


@dataclass(frozen=True)
class FieldSpec:
    """How one attribute is stored in SillyTavern's object: its key, how to read a loose value, its default and
    whether SillyTavern's template for a new entry has it."""

    attr: str
    st_key: str
    read: Callable[[Any, Any], Any]
    in_template: bool = True
    write: Callable[[Any], Any] = _same

    @property
    def default(self) -> Any:
        return getattr(DEFAULT_ENTRY, self.attr)


FIELDS = (
    FieldSpec('uid', 'uid', read_int),
    FieldSpec('key', 'key', read_keys),
    FieldSpec('secondary_keys', 'keysecondary', read_keys),
    FieldSpec('comment', 'comment', read_text),
    FieldSpec('content', 'content', read_text),
    FieldSpec('constant', 'constant', read_bool),
    FieldSpec('vectorized', 'vectorized', read_bool),
    FieldSpec('selective', 'selective', read_bool),
    FieldSpec('selective_logic', 'selectiveLogic', read_int),
    FieldSpec('add_memo', 'addMemo', read_bool),
    FieldSpec('order', 'order', read_int),
    FieldSpec('position', 'position', read_int),
    FieldSpec('disable', 'disable', read_bool),
    FieldSpec('ignore_budget', 'ignoreBudget', read_bool),
    FieldSpec('exclude_recursion', 'excludeRecursion', read_bool),
    FieldSpec('prevent_recursion', 'preventRecursion', read_bool),
    FieldSpec('match_persona_description', 'matchPersonaDescription', read_bool),
    FieldSpec('match_character_description', 'matchCharacterDescription', read_bool),
    FieldSpec('match_character_personality', 'matchCharacterPersonality', read_bool),
    FieldSpec('match_character_depth_prompt', 'matchCharacterDepthPrompt', read_bool),
    FieldSpec('match_scenario', 'matchScenario', read_bool),
    FieldSpec('match_creator_notes', 'matchCreatorNotes', read_bool),
    FieldSpec('delay_until_recursion', 'delayUntilRecursion', read_recursion_level),
    FieldSpec('probability', 'probability', read_int),
    FieldSpec('use_probability', 'useProbability', read_bool),
    FieldSpec('depth', 'depth', read_int),
    FieldSpec('outlet_name', 'outletName', read_text),
    FieldSpec('group', 'group', read_text),
    FieldSpec('group_override', 'groupOverride', read_bool),
    FieldSpec('group_weight', 'groupWeight', read_int),
    FieldSpec('scan_depth', 'scanDepth', read_optional_int),
    FieldSpec('case_sensitive', 'caseSensitive', read_optional_bool),
    FieldSpec('match_whole_words', 'matchWholeWords', read_optional_bool),
    FieldSpec('use_group_scoring', 'useGroupScoring', read_optional_bool),
    FieldSpec('automation_id', 'automationId', read_text),
    FieldSpec('role', 'role', read_role),
    FieldSpec('sticky', 'sticky', read_optional_int),
    FieldSpec('cooldown', 'cooldown', read_optional_int),
    FieldSpec('delay', 'delay', read_optional_int),
    FieldSpec('triggers', 'triggers', read_keys),
    FieldSpec('display_index', 'displayIndex', read_optional_int, in_template=False),
    FieldSpec('character_filter', 'characterFilter', read_optional_dict, in_template=False),
    FieldSpec('extensions', 'extensions', read_dict, in_template=False),
)
FIELDS_BY_ST_KEY = {spec.st_key: spec for spec in FIELDS}
FIELDS_BY_ATTR = {spec.attr: spec for spec in FIELDS}
DEFAULT_ENTRY = WorldEntry()
