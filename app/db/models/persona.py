"""Personas: who the user plays as in a chat (name, description, avatar)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from ..types import UtcDateTime, fk_column, new_id, utcnow


class Persona(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    name: str = Field(max_length=200)
    description: str = Field(default='', sa_type=Text)
    avatar_hash: str | None = Field(default=None, max_length=64)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
