"""Run-time instance settings stored in the database; environment settings give their initial values."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..db.database import Database
from ..db.models import InstanceSetting

REGISTRATION_OPEN = 'registration_open'


class InstanceSettingsService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.defaults: dict[str, Any] = {REGISTRATION_OPEN: settings.allow_registration}

    async def get(self, key: str) -> Any:
        async with self.db.session() as session:
            row = await session.get(InstanceSetting, key)
        return row.value if row else self.defaults.get(key)

    async def put(self, key: str, value: Any) -> None:
        async with self.db.session() as session:
            row = await session.get(InstanceSetting, key)
            if row:
                row.value = value
            else:
                session.add(InstanceSetting(key=key, value=value))
            await session.commit()

    async def registration_open(self) -> bool:
        return bool(await self.get(REGISTRATION_OPEN))

    async def set_registration_open(self, is_open: bool) -> None:
        await self.put(REGISTRATION_OPEN, is_open)
