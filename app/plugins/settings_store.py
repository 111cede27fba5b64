"""Plugin settings: stored as JSON per plugin and scope ('admin' for the whole instance, 'user' per user),
validated with the plugin's own pydantic models (`Settings`, `UserSettings` in its entry module).

Fields marked with the SDK's `secret()` are never sent back: reads show `REDACTED`, and a write that sends
`REDACTED` back keeps the stored value. Stored data that no longer validates (the plugin changed its model) reads as
the defaults plus an error the plugins page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlmodel import select

from ..db.database import Database
from ..db.models import PluginConfig
from ..db.types import utcnow
from ..errors import InvalidInputError

Scope = Literal['admin', 'user']
REDACTED = '********'


@dataclass(frozen=True)
class SettingsRead:
    """Validated settings (or the defaults with `error` when the stored data is invalid)."""

    values: BaseModel | None
    error: str | None = None


def secret_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get('secret')}


def redacted(model: type[BaseModel], values: BaseModel) -> dict[str, Any]:
    """The settings as JSON with every non-empty secret replaced by `REDACTED`."""
    data = values.model_dump(mode='json')
    for name in secret_fields(model):
        if data.get(name):
            data[name] = REDACTED
    return data


def validate_settings(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Validate a form or API payload; an error names the first wrong field (`field` param) for the form."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = '.'.join(str(part) for part in first['loc'])
        raise InvalidInputError('error.plugins.invalid_settings', f'{field}: {first["msg"]}', field=field,
                                problem=first['msg'], errors=_field_errors(error)) from None


class PluginSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def read(self, plugin_id: str, scope: Scope, model: type[BaseModel], user_id: str | None = None
                   ) -> SettingsRead:
        stored = await self._row(plugin_id, scope, user_id)
        try:
            return SettingsRead(model.model_validate(stored.data if stored else {}))
        except ValidationError as error:
            problem = '; '.join(f'{".".join(map(str, item["loc"]))}: {item["msg"]}' for item in error.errors())
            return SettingsRead(_defaults(model), f'The stored settings are invalid ({problem}); defaults are used.')

    async def write(self, plugin_id: str, scope: Scope, model: type[BaseModel], data: dict[str, Any],
                    user_id: str | None = None) -> BaseModel:
        """Validate and store; secrets sent back as `REDACTED` keep their stored value."""
        stored = await self._row(plugin_id, scope, user_id)
        merged = dict(data)
        for name in secret_fields(model):
            if merged.get(name) == REDACTED:
                merged[name] = (stored.data if stored else {}).get(name, '')
        values = validate_settings(model, merged)
        async with self.db.session() as session:
            row = stored or PluginConfig(plugin_id=plugin_id, scope=scope, user_id=user_id)
            row.data = values.model_dump(mode='json')
            row.updated_at = utcnow()
            session.add(row)
            await session.commit()
        return values

    async def _row(self, plugin_id: str, scope: Scope, user_id: str | None) -> PluginConfig | None:
        query = select(PluginConfig).where(PluginConfig.plugin_id == plugin_id, PluginConfig.scope == scope,
                                           PluginConfig.user_id == user_id)
        async with self.db.session() as session:
            return (await session.exec(query)).first()


def _defaults(model: type[BaseModel]) -> BaseModel | None:
    try:
        return model()
    except ValidationError:
        return None


def _field_errors(error: ValidationError) -> dict[str, str]:
    return {'.'.join(str(part) for part in item['loc']): item['msg'] for item in error.errors()}
