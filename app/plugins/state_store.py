"""Database access for the plugin platform's own state: install rows, per-user switches and hook errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select

from ..db.database import Database
from ..db.models import PluginConfig, PluginError, PluginInstall, PluginUserState
from ..db.types import utcnow

ERRORS_KEPT_PER_PLUGIN = 50
DETAIL_CHARS = 2000


@dataclass(frozen=True)
class RecordedError:
    hook: str
    message: str
    detail: str
    created_at: datetime


class PluginStateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def installs(self) -> dict[str, PluginInstall]:
        async with self.db.session() as session:
            rows = (await session.exec(select(PluginInstall))).all()
        return {row.plugin_id: row for row in rows}

    async def install_row(self, plugin_id: str) -> PluginInstall | None:
        async with self.db.session() as session:
            return await session.get(PluginInstall, plugin_id)

    async def save_install(self, row: PluginInstall) -> PluginInstall:
        async with self.db.session() as session:
            merged = await session.merge(row)
            await session.commit()
            await session.refresh(merged)
            return merged

    async def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        async with self.db.session() as session:
            row = await session.get(PluginInstall, plugin_id)
            if row is not None:
                row.enabled = enabled
                session.add(row)
                await session.commit()

    async def forget(self, plugin_id: str) -> None:
        """Remove every row about a plugin (uninstall)."""
        async with self.db.session() as session:
            for model in (PluginUserState, PluginConfig, PluginError):
                await session.exec(delete(model).where(col(model.plugin_id) == plugin_id))  # type: ignore[call-overload]
            await session.exec(delete(PluginInstall).where(col(PluginInstall.plugin_id) == plugin_id))  # type: ignore[call-overload]
            await session.commit()

    async def user_switches(self) -> dict[str, dict[str, bool]]:
        """{user_id: {plugin_id: enabled}} for every explicit per-user choice."""
        async with self.db.session() as session:
            rows = (await session.exec(select(PluginUserState))).all()
        switches: dict[str, dict[str, bool]] = {}
        for row in rows:
            switches.setdefault(row.user_id, {})[row.plugin_id] = row.enabled
        return switches

    async def set_user_enabled(self, user_id: str, plugin_id: str, enabled: bool) -> None:
        async with self.db.session() as session:
            row = await session.get(PluginUserState, (user_id, plugin_id))
            row = row or PluginUserState(user_id=user_id, plugin_id=plugin_id)
            row.enabled = enabled
            session.add(row)
            await session.commit()

    async def record_error(self, plugin_id: str, hook: str, message: str, detail: str) -> None:
        """Keep the error and drop all but the newest `ERRORS_KEPT_PER_PLUGIN` of this plugin."""
        async with self.db.session() as session:
            session.add(PluginError(plugin_id=plugin_id, hook=hook, message=message[:1000],
                                    detail=detail[-DETAIL_CHARS:], created_at=utcnow()))
            await session.commit()
            stale = select(PluginError.id).where(PluginError.plugin_id == plugin_id) \
                .order_by(col(PluginError.created_at).desc()).offset(ERRORS_KEPT_PER_PLUGIN)
            old_ids = (await session.exec(stale)).all()
            if old_ids:
                await session.exec(delete(PluginError).where(col(PluginError.id).in_(old_ids)))  # type: ignore[call-overload]
                await session.commit()

    async def recent_errors(self, plugin_id: str, limit: int = 10) -> list[RecordedError]:
        async with self.db.session() as session:
            rows = (await session.exec(select(PluginError).where(PluginError.plugin_id == plugin_id)
                                       .order_by(col(PluginError.created_at).desc()).limit(limit))).all()
        return [RecordedError(row.hook, row.message, row.detail, row.created_at) for row in rows]
