"""A regex script as the plugin keeps it: the validated `ScriptData` (edited on the page, made by imports, run by
the engine) and the plugin's own table, one row per script of one user.

Placements are SillyTavern's numbers: 1 the user's message, 2 the character's reply, 3 slash command output (here
the notes commands post into the chat), 5 world info, 6 reasoning. `markdown_only` scripts change only what is shown,
`prompt_only` ones only what the model is sent; a script with neither changes the stored message.
"""

from __future__ import annotations

from typing import Any

import sqlmodel
from pydantic import BaseModel, Field, field_validator, model_validator

USER_INPUT = 1
AI_OUTPUT = 2
SLASH_COMMAND = 3
WORLD_INFO = 5
REASONING = 6
PLACEMENTS = (USER_INPUT, AI_OUTPUT, SLASH_COMMAND, WORLD_INFO, REASONING)
SUBSTITUTE_NONE, SUBSTITUTE_RAW, SUBSTITUTE_ESCAPED = 0, 1, 2


class ScriptData(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    find_regex: str = Field(min_length=1, max_length=20_000)
    replace_string: str = Field(default='', max_length=200_000)
    trim_strings: list[str] = Field(default_factory=list, max_length=50)
    placement: list[int] = Field(default_factory=lambda: [USER_INPUT])
    disabled: bool = False
    markdown_only: bool = False
    prompt_only: bool = False
    run_on_edit: bool = True
    substitute_regex: int = Field(default=SUBSTITUTE_NONE, ge=SUBSTITUTE_NONE, le=SUBSTITUTE_ESCAPED)
    min_depth: int | None = Field(default=None, ge=-1, le=100_000)
    max_depth: int | None = Field(default=None, ge=0, le=100_000)
    character_name: str = Field(default='', max_length=200,
                                description='Only in chats with this character; empty for every chat.')
    source_id: str = Field(default='', max_length=100)

    @field_validator('placement')
    @classmethod
    def _known_placements(cls, value: list[int]) -> list[int]:
        unknown = [item for item in value if item not in PLACEMENTS]
        if unknown:
            raise ValueError(f'unknown placement {unknown[0]}; use 1 (user input), 2 (AI output), 3 (slash '
                             'commands), 5 (world info) or 6 (reasoning)')
        return sorted(set(value))

    @model_validator(mode='after')
    def _depths_in_order(self) -> ScriptData:
        if self.min_depth is not None and self.max_depth is not None and self.min_depth > self.max_depth:
            raise ValueError('the minimum depth is larger than the maximum depth')
        return self


class RegexScript(sqlmodel.SQLModel, table=True):
    """One user's script; `position` orders them (scripts run one after another, in that order)."""

    __tablename__ = 'plg_regex_scripts_script'

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    user_id: str = sqlmodel.Field(index=True, max_length=64)
    position: int = 0
    name: str = sqlmodel.Field(max_length=200)
    find_regex: str
    replace_string: str = ''
    trim_strings: list = sqlmodel.Field(default_factory=list, sa_type=sqlmodel.JSON)
    placement: list = sqlmodel.Field(default_factory=list, sa_type=sqlmodel.JSON)
    disabled: bool = False
    markdown_only: bool = False
    prompt_only: bool = False
    run_on_edit: bool = True
    substitute_regex: int = 0
    min_depth: int | None = None
    max_depth: int | None = None
    character_name: str = sqlmodel.Field(default='', max_length=200)
    source_id: str = sqlmodel.Field(default='', max_length=100)

    def data(self) -> ScriptData:
        return ScriptData.model_validate(self.model_dump(exclude={'id', 'user_id', 'position'}))

    def fill(self, data: ScriptData) -> None:
        values: dict[str, Any] = data.model_dump()
        for name, value in values.items():
            setattr(self, name, value)
