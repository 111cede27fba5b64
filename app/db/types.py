"""Column types and defaults shared by every model: string ids, aware UTC timestamps, portable JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

PortableJSON = JSON().with_variant(JSONB(), 'postgresql')


def new_id() -> str:
    """A random, unguessable id (ids appear in URLs, so they must not be enumerable)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """Stores UTC and always returns timezone-aware datetimes, also on SQLite which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == 'sqlite' else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fk_column(target: str, *, index: bool = True, nullable: bool = False, ondelete: str = 'CASCADE',
              primary_key: bool = False) -> Column:
    """A string foreign-key column; a new Column each call because SQLAlchemy columns belong to one table."""
    return Column(String(32), ForeignKey(target, ondelete=ondelete), index=index and not primary_key,
                  nullable=nullable, primary_key=primary_key)
