"""The global World Info settings and the input of one scan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .entry import read_bool, read_int


@dataclass
class WorldInfoSettings:
    """SillyTavern's global World Info settings (`world_info_*` in settings.json), with its defaults."""

    scan_depth: int = 2
    budget_percent: int = 25
    budget_cap: int = 0
    include_names: bool = True
    recursive: bool = False
    max_recursion_steps: int = 0
    min_activations: int = 0
    min_activations_depth_max: int = 0
    case_sensitive: bool = False
    match_whole_words: bool = False
    use_group_scoring: bool = False
    character_strategy: int = 1
    overflow_alert: bool = False

    @classmethod
    def from_st(cls, world_info_settings: dict[str, Any]) -> WorldInfoSettings:
        defaults = cls()
        values = {}
        for attr, st_key in ST_SETTING_KEYS.items():
            default = getattr(defaults, attr)
            reader = read_bool if isinstance(default, bool) else read_int
            values[attr] = reader(world_info_settings.get(st_key), default)
        return cls(**values)

    def to_st(self) -> dict[str, Any]:
        return {st_key: getattr(self, attr) for attr, st_key in ST_SETTING_KEYS.items()}


ST_SETTING_KEYS = {
    'scan_depth': 'world_info_depth', 'budget_percent': 'world_info_budget', 'budget_cap': 'world_info_budget_cap',
    'include_names': 'world_info_include_names', 'recursive': 'world_info_recursive',
    'max_recursion_steps': 'world_info_max_recursion_steps', 'min_activations': 'world_info_min_activations',
    'min_activations_depth_max': 'world_info_min_activations_depth_max',
    'case_sensitive': 'world_info_case_sensitive', 'match_whole_words': 'world_info_match_whole_words',
    'use_group_scoring': 'world_info_use_group_scoring', 'character_strategy': 'world_info_character_strategy',
    'overflow_alert': 'world_info_overflow_alert',
}


@dataclass
class ScanInput:
    """What is scanned: chat messages newest first (already "Name: text" when names are included), the character
    and persona fields entries may opt into, the kind of generation, and sizes for budget and timed effects."""

    messages: list[str]
    chat_length: int
    max_context: int
    trigger: str = 'normal'
    persona_description: str = ''
    character_description: str = ''
    character_personality: str = ''
    character_depth_prompt: str = ''
    scenario: str = ''
    creator_notes: str = ''
    extra_scan_text: list[str] = field(default_factory=list)
