"""A user's quick reply sets in the plugin's own table: list, create, change, delete. Every function takes the
user's id, so nobody reaches another user's sets."""

from __future__ import annotations

from sqlmodel import col, select

from plugins.sdk import PluginContext

from .models import MAX_SETS, QuickReplySet, SetData


class SetLimitReached(ValueError):
    """The user already has `MAX_SETS` sets."""


async def user_sets(ctx: PluginContext, user_id: str, *, enabled_only: bool = False) -> list[QuickReplySet]:
    statement = select(QuickReplySet).where(col(QuickReplySet.user_id) == user_id)
    if enabled_only:
        statement = statement.where(col(QuickReplySet.enabled).is_(True))
    async with ctx.db_session() as session:
        rows = (await session.exec(statement.order_by(col(QuickReplySet.position), col(QuickReplySet.id)))).all()
    return list(rows)


async def add_set(ctx: PluginContext, user_id: str, data: SetData) -> QuickReplySet:
    """A new set at the end of the user's list."""
    existing = await user_sets(ctx, user_id)
    if len(existing) >= MAX_SETS:
        raise SetLimitReached(MAX_SETS)
    row = QuickReplySet(user_id=user_id, position=max((item.position for item in existing), default=-1) + 1)
    return await _write(ctx, row, data)


async def save_set(ctx: PluginContext, user_id: str, set_id: int, data: SetData) -> QuickReplySet | None:
    """Replace a set's name, switches and replies; None when the user has no such set."""
    row = await _owned(ctx, user_id, set_id)
    return None if row is None else await _write(ctx, row, data)


async def delete_set(ctx: PluginContext, user_id: str, set_id: int) -> bool:
    async with ctx.db_session() as session:
        row = await session.get(QuickReplySet, set_id)
        if row is None or row.user_id != user_id:
            return False
        await session.delete(row)
        await session.commit()
    return True


async def _owned(ctx: PluginContext, user_id: str, set_id: int) -> QuickReplySet | None:
    async with ctx.db_session() as session:
        row = await session.get(QuickReplySet, set_id)
    return row if row is not None and row.user_id == user_id else None


async def _write(ctx: PluginContext, row: QuickReplySet, data: SetData) -> QuickReplySet:
    row.name = data.name
    row.enabled = data.enabled
    row.insert_only = data.insert_only
    row.replies = [reply.model_dump() for reply in data.replies]
    async with ctx.db_session() as session:
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return row
