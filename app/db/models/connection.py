"""LLM provider connections; the API key is stored encrypted with a key derived from the server secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class ProviderConnection(SQLModel, table=True):
    __tablename__ = 'provider_connection'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    name: str = Field(max_length=200)
    provider: str = Field(max_length=32)
    base_url: str = Field(default='', max_length=500)
    model: str = Field(default='', max_length=200)
    api_key_encrypted: str | None = Field(default=None, sa_type=Text)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
