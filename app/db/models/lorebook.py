"""Lorebooks (SillyTavern World Info): books, their entries, which chats they apply to, and per-user settings.

An entry row keeps the entry's whole SillyTavern dict in `data` (so unknown and future fields survive a round
trip) plus a few plain columns that listing and search need without parsing JSON. A book's `extra` holds the
top-level keys of the imported file other than `entries` (such as `originalData`), verbatim.

A binding says a book applies globally, to a character, to a chat or to a persona. The target is a real foreign
key per scope (`character_id`, `chat_id`, `persona_id`, all ON DELETE CASCADE) so deleting the character, chat or
persona removes its bindings in the database itself; `target_id` in the services is whichever of them is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class Lorebook(SQLModel, table=True):
    __table_args__ = (UniqueConstraint('owner_id', 'name', name='uq_lorebook_owner_name'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    name: str = Field(max_length=200)
    description: str = Field(default='', sa_type=Text)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class LorebookEntry(SQLModel, table=True):
    __tablename__ = 'lorebook_entry'
    __table_args__ = (UniqueConstraint('lorebook_id', 'uid', name='uq_lorebook_entry_book_uid'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    lorebook_id: str = Field(sa_column=fk_column('lorebook.id', index=False))
    uid: int
    data: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    comment: str = Field(default='', sa_type=Text)
    keys_text: str = Field(default='', sa_type=Text)
    position: int = 0
    sort_order: int = 100
    display_index: int = 0
    disabled: bool = False


class LorebookBinding(SQLModel, table=True):
    __tablename__ = 'lorebook_binding'
    __table_args__ = (
        UniqueConstraint('lorebook_id', 'character_id', name='uq_lorebook_binding_character'),
        UniqueConstraint('chat_id', name='uq_lorebook_binding_chat'),
        UniqueConstraint('persona_id', name='uq_lorebook_binding_persona'),
        Index('uq_lorebook_binding_global', 'lorebook_id', unique=True,
              sqlite_where=text("scope = 'global'"), postgresql_where=text("scope = 'global'")),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(sa_column=fk_column('user.id'))
    lorebook_id: str = Field(sa_column=fk_column('lorebook.id'))
    scope: str = Field(max_length=16)
    character_id: str | None = Field(default=None, sa_column=fk_column('character.id', nullable=True))
    chat_id: str | None = Field(default=None, sa_column=fk_column('chat.id', index=False, nullable=True))
    persona_id: str | None = Field(default=None, sa_column=fk_column('persona.id', index=False, nullable=True))
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    @property
    def target_id(self) -> str | None:
        return self.character_id or self.chat_id or self.persona_id


class WorldInfoSettingsRow(SQLModel, table=True):
    __tablename__ = 'world_info_settings'

    owner_id: str = Field(sa_column=fk_column('user.id', primary_key=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
