"""Each user's global World Info settings (scan depth, budget, recursion, matching defaults, ...), stored as
SillyTavern's `world_info_settings` object so they move to and from SillyTavern unchanged."""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import User, WorldInfoSettingsRow
from ...db.types import utcnow
from ..world_info.activation import WorldInfoSettings

MAX_SCAN_DEPTH = 1_000
DEFAULTS = WorldInfoSettings()


class WorldInfoSettingsFields(BaseModel):
    """The world-info settings as a form or a REST body; fields left out get SillyTavern's defaults."""

    scan_depth: int = Field(default=DEFAULTS.scan_depth, ge=0, le=MAX_SCAN_DEPTH,
                            description='How many recent messages are scanned for keys.')
    budget_percent: int = Field(default=DEFAULTS.budget_percent, ge=1, le=100,
                                description='Share of the context that activated entries may fill, in percent.')
    budget_cap: int = Field(default=DEFAULTS.budget_cap, ge=0, le=1_000_000,
                            description='At most this many tokens of entries; 0 for no cap.')
    include_names: bool = DEFAULTS.include_names
    recursive: bool = Field(default=DEFAULTS.recursive, description='Activated entries may activate others.')
    max_recursion_steps: int = Field(default=DEFAULTS.max_recursion_steps, ge=0, le=100,
                                     description='0 for no limit.')
    min_activations: int = Field(default=DEFAULTS.min_activations, ge=0, le=1_000)
    min_activations_depth_max: int = Field(default=DEFAULTS.min_activations_depth_max, ge=0, le=MAX_SCAN_DEPTH)
    case_sensitive: bool = DEFAULTS.case_sensitive
    match_whole_words: bool = DEFAULTS.match_whole_words
    use_group_scoring: bool = DEFAULTS.use_group_scoring
    character_strategy: Literal[0, 1, 2] = Field(default=DEFAULTS.character_strategy,
                                                 description='Evenly 0, character first 1, global first 2.')
    overflow_alert: bool = DEFAULTS.overflow_alert

    @classmethod
    def of(cls, settings: WorldInfoSettings) -> WorldInfoSettingsFields:
        """The settings as fields; a stored value out of range (say, from an imported SillyTavern file) shows as
        its default."""
        values = dataclasses.asdict(settings)
        try:
            return cls(**values)
        except ValidationError as failure:
            wrong = {error['loc'][0] for error in failure.errors()}
            return cls(**{name: value for name, value in values.items() if name not in wrong})

    def to_settings(self) -> WorldInfoSettings:
        return WorldInfoSettings(**self.model_dump())


class LorebookSettings:
    db: Database

    async def world_info_settings(self, owner: User) -> WorldInfoSettings:
        """The owner's settings; SillyTavern's defaults until they save their own."""
        async with self.db.session() as session:
            row = await session.get(WorldInfoSettingsRow, owner.id)
        return WorldInfoSettings.from_st(row.data) if row else WorldInfoSettings()

    async def update_world_info_settings(self, owner: User, settings: WorldInfoSettings) -> WorldInfoSettings:
        async with self.db.session() as session:
            row = await _row(session, owner)
            row.data = settings.to_st()
            row.updated_at = utcnow()
            session.add(row)
            await session.commit()
        return WorldInfoSettings.from_st(row.data)


async def _row(session: AsyncSession, owner: User) -> WorldInfoSettingsRow:
    return await session.get(WorldInfoSettingsRow, owner.id) or WorldInfoSettingsRow(owner_id=owner.id)
