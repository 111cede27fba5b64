"""The prompt manager of a chat-completion preset: its prompt blocks, their order, and the utility prompts.

`PromptManagerConfig.from_st` reads SillyTavern's preset JSON the way SillyTavern does: the global order
(`prompt_order` entry 100001, else 100000, else the first), SillyTavern's default order when a preset has none, the
built-in placeholders ("markers") added when a preset lacks them, and the utility prompts' defaults for missing keys.
`to_st` writes edits back into the original preset dict and leaves everything unedited exactly as it was, so an
import followed by an export gives the same JSON, unknown keys included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from .chat_completion_defaults import (
    DEFAULT_ORDER,
    DUMMY_ORDER_ID,
    GLOBAL_ORDER_ID,
    MARKER_NAMES,
    UTILITY_DEFAULTS,
    default_preset_data,
)

ROLES = ('system', 'user', 'assistant')
RELATIVE = 0
IN_CHAT = 1
DEFAULT_DEPTH = 4
BLOCK_KEYS = ('identifier', 'name', 'role', 'content', 'system_prompt', 'marker', 'injection_position',
              'injection_depth', 'injection_order', 'forbid_overrides', 'enabled')
MARKER_KEYS = ('identifier', 'name', 'system_prompt', 'marker')


@dataclass
class PromptBlock:
    """One entry of a preset's `prompts`; keys this app does not know stay in `extra` and are written back."""

    identifier: str
    name: str = ''
    role: str = 'system'
    content: str = ''
    system_prompt: bool = False
    marker: bool = False
    injection_position: int = RELATIVE
    injection_depth: int = DEFAULT_DEPTH
    injection_order: int | None = None
    forbid_overrides: bool = False
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_custom(self) -> bool:
        """A block the preset's author added (SillyTavern lets only those be deleted)."""
        return not self.system_prompt

    @property
    def label(self) -> str:
        return self.name or self.identifier

    @classmethod
    def custom(cls, name: str) -> PromptBlock:
        """A new, empty user-added block with a fresh identifier, like SillyTavern's "new prompt"."""
        return cls(identifier=str(uuid.uuid4()), name=name)

    @classmethod
    def from_st(cls, item: dict[str, Any]) -> PromptBlock:
        """Read one prompt object; values of the wrong type fall back to SillyTavern's defaults."""
        role = item.get('role')
        return cls(
            identifier=str(item['identifier']),
            name=_typed(item, 'name', str, ''),
            role=role if role in ROLES else 'system',
            content=_typed(item, 'content', str, ''),
            system_prompt=_typed(item, 'system_prompt', bool, False),
            marker=_typed(item, 'marker', bool, False),
            injection_position=IN_CHAT if _typed(item, 'injection_position', int, RELATIVE) == IN_CHAT else RELATIVE,
            injection_depth=_typed(item, 'injection_depth', int, DEFAULT_DEPTH),
            injection_order=_typed(item, 'injection_order', int, None),
            forbid_overrides=_typed(item, 'forbid_overrides', bool, False),
            enabled=_typed(item, 'enabled', bool, True),
            extra={key: value for key, value in item.items() if key not in BLOCK_KEYS},
        )

    def to_st(self, original: dict[str, Any] | None) -> dict[str, Any]:
        """This block as a prompt object. Based on `original` (the object it was read from), only the fields that
        changed are written, so untouched keys keep their exact form, and unknown keys come from `extra`."""
        if original is None:
            keys = MARKER_KEYS if self.marker else BLOCK_KEYS
            written = {key: getattr(self, key) for key in keys if getattr(self, key) is not None}
            return {**written, **self.extra}
        before = PromptBlock.from_st(original)
        result = {key: value for key, value in original.items() if key in BLOCK_KEYS or key in self.extra}
        for key in BLOCK_KEYS:
            value = getattr(self, key)
            if value == getattr(before, key):
                continue
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
        result.update(self.extra)
        return result


@dataclass
class PromptManagerConfig:
    """Blocks, their order as (identifier, enabled) pairs, and SillyTavern's utility prompts and switches."""

    prompts: list[PromptBlock] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    new_chat_prompt: str = str(UTILITY_DEFAULTS['new_chat_prompt'])
    new_group_chat_prompt: str = str(UTILITY_DEFAULTS['new_group_chat_prompt'])
    new_example_chat_prompt: str = str(UTILITY_DEFAULTS['new_example_chat_prompt'])
    continue_nudge_prompt: str = str(UTILITY_DEFAULTS['continue_nudge_prompt'])
    impersonation_prompt: str = str(UTILITY_DEFAULTS['impersonation_prompt'])
    wi_format: str = str(UTILITY_DEFAULTS['wi_format'])
    scenario_format: str = str(UTILITY_DEFAULTS['scenario_format'])
    personality_format: str = str(UTILITY_DEFAULTS['personality_format'])
    group_nudge_prompt: str = str(UTILITY_DEFAULTS['group_nudge_prompt'])
    names_behavior: int = int(UTILITY_DEFAULTS['names_behavior'])
    squash_system_messages: bool = bool(UTILITY_DEFAULTS['squash_system_messages'])
    assistant_prefill: str = str(UTILITY_DEFAULTS['assistant_prefill'])
    continue_prefill: bool = bool(UTILITY_DEFAULTS['continue_prefill'])
    continue_postfix: str = str(UTILITY_DEFAULTS['continue_postfix'])
    send_if_empty: str = str(UTILITY_DEFAULTS['send_if_empty'])

    @classmethod
    def from_st(cls, data: dict[str, Any]) -> PromptManagerConfig:
        """The prompt manager of a SillyTavern chat-completion preset (any dict; unusable parts are skipped)."""
        prompts = _prompts(data.get('prompts'))
        entry = _order_entry(data.get('prompt_order'))
        order = _order(entry['order']) if entry is not None else _default_order(prompts)
        utilities = {name: _utility(data, name) for name in UTILITY_DEFAULTS}
        if 'names_behavior' not in data and data.get('names_in_completion') is True:
            utilities['names_behavior'] = 1
        return cls(prompts=prompts, order=order, **utilities)  # type: ignore[arg-type]

    def to_st(self, original: dict[str, Any]) -> dict[str, Any]:
        """`original` with this config's blocks, order and utility prompts written in; nothing else changes, and
        parts equal to what `from_st(original)` reads are left exactly as they were."""
        before = PromptManagerConfig.from_st(original)
        result = dict(original)
        if self.prompts != before.prompts:
            originals = {str(item['identifier']): item for item in _prompt_objects(original.get('prompts'))}
            result['prompts'] = [block.to_st(originals.get(block.identifier)) for block in self.prompts]
        if self.order != before.order:
            result['prompt_order'] = _written_order(original.get('prompt_order'), self.order)
        for name in UTILITY_DEFAULTS:
            if getattr(self, name) != getattr(before, name):
                result[name] = getattr(self, name)
        return result

    def block(self, identifier: str) -> PromptBlock | None:
        return next((block for block in self.prompts if block.identifier == identifier), None)

    def unordered(self) -> list[PromptBlock]:
        """Blocks that the order does not place (SillyTavern keeps them in the preset, unused)."""
        placed = {identifier for identifier, _ in self.order}
        return [block for block in self.prompts if block.identifier not in placed]

    def copy(self) -> PromptManagerConfig:
        """A copy whose blocks and order can be edited without touching this one."""
        return replace(self, prompts=[replace(block, extra=dict(block.extra)) for block in self.prompts],
                       order=list(self.order))


def default_prompt_manager() -> PromptManagerConfig:
    """SillyTavern's default prompt manager (its Default.json), used when no chat-completion preset is active."""
    return PromptManagerConfig.from_st(default_preset_data())


def _typed(item: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """`item[key]` if it has type `kind` (a bool is not taken for an int), else `default`."""
    value = item.get(key)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    return default


def _prompt_objects(value: Any) -> list[dict[str, Any]]:
    """The usable prompt objects (dicts with a string identifier), the first of each identifier."""
    seen: set[str] = set()
    objects = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get('identifier'), str) and item['identifier'] not in seen:
            seen.add(item['identifier'])
            objects.append(item)
    return objects


def _prompts(value: Any) -> list[PromptBlock]:
    prompts = [PromptBlock.from_st(item) for item in _prompt_objects(value)]
    present = {block.identifier for block in prompts}
    prompts += [PromptBlock(identifier=identifier, name=name, system_prompt=True, marker=True)
                for identifier, name in MARKER_NAMES.items() if identifier not in present]
    return prompts


def _order_entry_index(value: Any) -> int | None:
    """Which `prompt_order` entry SillyTavern uses: the global one (100001), else 100000, else the first."""
    entries = value if isinstance(value, list) else []
    usable = [index for index, entry in enumerate(entries)
              if isinstance(entry, dict) and isinstance(entry.get('order'), list)]
    for wanted in (GLOBAL_ORDER_ID, DUMMY_ORDER_ID):
        for index in usable:
            if str(entries[index].get('character_id')) == str(wanted):
                return index
    return usable[0] if usable else None


def _order_entry(value: Any) -> dict[str, Any] | None:
    index = _order_entry_index(value)
    return None if index is None else value[index]


def _order(items: list[Any]) -> list[tuple[str, bool]]:
    return [(item['identifier'], _typed(item, 'enabled', bool, True)) for item in items
            if isinstance(item, dict) and isinstance(item.get('identifier'), str)]


def _default_order(prompts: list[PromptBlock]) -> list[tuple[str, bool]]:
    """SillyTavern's default order over the blocks the preset has, then its other blocks as they are flagged."""
    present = {block.identifier for block in prompts}
    order = [(identifier, enabled) for identifier, enabled in DEFAULT_ORDER if identifier in present]
    placed = {identifier for identifier, _ in order}
    return order + [(block.identifier, block.enabled) for block in prompts if block.identifier not in placed]


def _written_order(value: Any, order: list[tuple[str, bool]]) -> list[Any]:
    """`prompt_order` with the entry in use replaced by `order` (a global entry is added when there was none)."""
    items = [{'identifier': identifier, 'enabled': enabled} for identifier, enabled in order]
    entries = list(value) if isinstance(value, list) else []
    index = _order_entry_index(entries)
    if index is None:
        return [*entries, {'character_id': GLOBAL_ORDER_ID, 'order': items}]
    entries[index] = {**entries[index], 'order': items}
    return entries


def _utility(data: dict[str, Any], name: str) -> str | bool | int:
    default = UTILITY_DEFAULTS[name]
    return _typed(data, name, type(default), default)
