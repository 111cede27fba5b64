"""Accounts, browser sessions and personal API tokens (tokens are stored only as sha256 hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..types import UtcDateTime, fk_column, new_id, utcnow


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    handle: str = Field(unique=True, index=True, max_length=32)
    display_name: str = Field(default='', max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(default='user', max_length=16)
    disabled: bool = False
    locale: str | None = Field(default=None, max_length=8)
    theme: str = Field(default='auto', max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)

    @property
    def is_admin(self) -> bool:
        return self.role == 'admin'


class UserSession(SQLModel, table=True):
    __tablename__ = 'user_session'

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(sa_column=fk_column('user.id'))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    user_agent: str = Field(default='', max_length=255)
    address: str = Field(default='', max_length=64)


class ApiToken(SQLModel, table=True):
    __tablename__ = 'api_token'

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(sa_column=fk_column('user.id'))
    name: str = Field(max_length=64)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
