"""The flag log: every message the filter blocked or flagged, for the administrators to review (the plugin's own
table `plg_moderation_filter_flag`, created when the plugin loads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel, col, delete, select

from plugins.sdk import PluginContext

Source = Literal['user', 'reply']
Action = Literal['blocked', 'flagged']
MAX_EXCERPT = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


class FlagEntry(SQLModel, table=True):
    __tablename__ = 'plg_moderation_filter_flag'

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True), index=True)  # type: ignore[call-overload]
    user_id: str = Field(max_length=64)
    user_handle: str = Field(default='', max_length=64)
    chat_id: str = Field(max_length=64)
    character_name: str = Field(default='', max_length=200)
    source: str = Field(max_length=8)
    action: str = Field(max_length=8)
    rule: str = Field(max_length=210)
    excerpt: str = Field(default='', max_length=MAX_EXCERPT)


async def record(ctx: PluginContext, entry: FlagEntry) -> None:
    entry.excerpt = entry.excerpt[:MAX_EXCERPT]
    async with ctx.db_session() as session:
        session.add(entry)
        await session.commit()


async def recent(ctx: PluginContext, action: str | None = None, limit: int = 200) -> list[FlagEntry]:
    """The newest entries first, only those of `action` when given."""
    statement = select(FlagEntry).order_by(col(FlagEntry.created_at).desc(), col(FlagEntry.id).desc()).limit(limit)
    if action:
        statement = statement.where(col(FlagEntry.action) == action)
    async with ctx.db_session() as session:
        return list((await session.exec(statement)).all())


async def clear(ctx: PluginContext) -> None:
    async with ctx.db_session() as session:
        await session.exec(delete(FlagEntry))  # type: ignore[call-overload]
        await session.commit()
