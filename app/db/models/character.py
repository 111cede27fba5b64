"""Characters: the canonical Character Card V3 document plus the columns we search and sort on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class Character(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    name: str = Field(index=True, max_length=200)
    creator: str = Field(default='', index=True, max_length=200)
    card: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    avatar_hash: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, index=True, max_length=64)
    favorite: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


class CharacterTag(SQLModel, table=True):
    """One row per (character, lower-cased tag) so tag search is an indexed lookup on both databases."""

    __tablename__ = 'character_tag'

    character_id: str = Field(
        sa_column=fk_column('character.id', primary_key=True))
    tag: str = Field(primary_key=True, index=True, max_length=100)
