"""Named presets of one kind (sampler, instruct, context, system prompt, chat completion), per user.

At most one preset per user and kind is active (SillyTavern's global selection); a partial unique index keeps it so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class Preset(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint('owner_id', 'kind', 'name', name='uq_preset_owner_kind_name'),
        Index('uq_preset_active_kind', 'owner_id', 'kind', unique=True,
              sqlite_where=text('is_active'), postgresql_where=text('is_active')),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    is_active: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
