"""Plugin state: what is installed (and whether it is on), per-user toggles, settings and recent hook errors.

Plugin code itself lives on disk (the environment or `<data_dir>/plugins/site/`); these rows only say what the
instance decided about it, so an uninstall or a disable survives restarts and reaches every instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..types import PortableJSON, UtcDateTime, fk_column, new_id, utcnow


class PluginInstall(SQLModel, table=True):
    __tablename__ = 'plugin_install'

    plugin_id: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)
    sha256: str = Field(default='', max_length=64)
    source: str = Field(max_length=16)
    index_url: str = Field(default='', max_length=1000)
    installed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    enabled: bool = True
    consent: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)


class PluginUserState(SQLModel, table=True):
    __tablename__ = 'plugin_user_state'

    user_id: str = Field(sa_column=fk_column('user.id', primary_key=True))
    plugin_id: str = Field(sa_column=Column(String(64), primary_key=True))
    enabled: bool = True


class PluginConfig(SQLModel, table=True):
    __tablename__ = 'plugin_config'
    __table_args__ = (UniqueConstraint('plugin_id', 'scope', 'user_id', name='uq_plugin_config_scope'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    plugin_id: str = Field(max_length=64, index=True)
    scope: str = Field(max_length=8)
    user_id: str | None = Field(default=None, sa_column=fk_column('user.id', nullable=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=PortableJSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class PluginError(SQLModel, table=True):
    __tablename__ = 'plugin_error'
    __table_args__ = (Index('ix_plugin_error_plugin_created', 'plugin_id', 'created_at'),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    plugin_id: str = Field(max_length=64)
    hook: str = Field(max_length=64)
    message: str = Field(sa_column=Column(Text, nullable=False))
    detail: str = Field(default='', sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
