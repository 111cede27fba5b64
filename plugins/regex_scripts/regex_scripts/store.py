"""A user's regex scripts in the plugin's own table: list, add (one or many, at the end), change, switch, delete.
Every function takes the user's id, so nobody reaches another user's scripts."""

from __future__ import annotations

from sqlmodel import col, select

from plugins.sdk import PluginContext

from .models import RegexScript, ScriptData


class ScriptLimitReached(ValueError):
    """Adding would take the user past the instance's limit (`args[0]`)."""


async def user_scripts(ctx: PluginContext, user_id: str) -> list[RegexScript]:
    statement = select(RegexScript).where(col(RegexScript.user_id) == user_id) \
        .order_by(col(RegexScript.position), col(RegexScript.id))
    async with ctx.db_session() as session:
        return list((await session.exec(statement)).all())


async def add_scripts(ctx: PluginContext, user_id: str, scripts: list[ScriptData], limit: int) -> list[RegexScript]:
    existing = await user_scripts(ctx, user_id)
    if len(existing) + len(scripts) > limit:
        raise ScriptLimitReached(limit)
    position = max((row.position for row in existing), default=-1) + 1
    rows = []
    async with ctx.db_session() as session:
        for offset, data in enumerate(scripts):
            row = RegexScript(user_id=user_id, position=position + offset, name=data.name, find_regex=data.find_regex)
            row.fill(data)
            session.add(row)
            rows.append(row)
        await session.commit()
        for row in rows:
            await session.refresh(row)
    return rows


async def save_script(ctx: PluginContext, user_id: str, script_id: int, data: ScriptData) -> RegexScript | None:
    """Replace a script; None when the user has no such script."""
    async with ctx.db_session() as session:
        row = await session.get(RegexScript, script_id)
        if row is None or row.user_id != user_id:
            return None
        row.fill(data)
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return row


async def set_disabled(ctx: PluginContext, user_id: str, script_id: int, disabled: bool) -> bool:
    async with ctx.db_session() as session:
        row = await session.get(RegexScript, script_id)
        if row is None or row.user_id != user_id:
            return False
        row.disabled = disabled
        session.add(row)
        await session.commit()
    return True


async def delete_script(ctx: PluginContext, user_id: str, script_id: int) -> bool:
    async with ctx.db_session() as session:
        row = await session.get(RegexScript, script_id)
        if row is None or row.user_id != user_id:
            return False
        await session.delete(row)
        await session.commit()
    return True
