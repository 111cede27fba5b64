"""Chats and their messages; messages live in their own table, keyed by (chat_id, seq), never as one blob."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class Chat(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    character_id: str = Field(
        sa_column=fk_column('character.id'))
    persona_id: str | None = Field(
        default=None, sa_column=fk_column('persona.id', index=False, nullable=True, ondelete='SET NULL'))
    connection_id: str | None = Field(
        default=None,
        sa_column=fk_column('provider_connection.id', index=False, nullable=True, ondelete='SET NULL'))
    title: str = Field(default='', max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    meta: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)  # SillyTavern chat_metadata, header
    message_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


BIG_ID = BigInteger().with_variant(Integer, 'sqlite')  # SQLite only auto-increments INTEGER keys


class Message(SQLModel, table=True):
    __table_args__ = (Index('ix_message_chat_seq', 'chat_id', 'seq', unique=True),)

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    chat_id: str = Field(sa_column=fk_column('chat.id', index=False))
    seq: int
    role: str = Field(max_length=16)
    name: str = Field(default='', max_length=200)
    content: str = Field(default='', sa_type=Text)
    swipes: list[str] = Field(default_factory=list, sa_type=PortableJSON)
    swipe_index: int = 0
    status: str = Field(default='complete', max_length=16)
    error: str | None = Field(default=None, sa_type=Text)
    meta: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
