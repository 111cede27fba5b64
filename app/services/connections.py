"""Provider connections a user saves: kind, base URL, model, API key (encrypted at rest, never shown in full).

A connection's model list is asked of its server at most every few minutes: answers are cached in the key-value
store (shared across instances with Redis) and dropped when the connection changes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, Field, HttpUrl, field_validator
from sqlmodel import col, select

from ..db.database import Database
from ..db.models import ProviderConnection, User
from ..db.types import utcnow
from ..infra.key_value import KeyValueStore
from ..security.secret_box import SecretBox, mask_secret
from .ownership import clear_default, load_owned
from .providers.base import ChatProvider, ProviderError
from .providers.kinds import PROVIDER_KINDS, provider_kind

MODELS_CACHE_SECONDS = 10 * 60


class ConnectionFields(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    provider: str = Field(min_length=1, max_length=32)
    base_url: HttpUrl | None = None
    model: str = Field(default='', max_length=200)
    api_key: str | None = Field(default=None, max_length=4096)
    settings: dict[str, Any] = Field(default_factory=dict)
    is_default: bool = False

    @field_validator('provider')
    @classmethod
    def _check_kind(cls, value: str) -> str:
        return _known_kind(value)


class ConnectionUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    provider: str | None = Field(default=None, min_length=1, max_length=32)
    base_url: HttpUrl | None = None
    model: str | None = Field(default=None, max_length=200)
    api_key: str | None = Field(default=None, max_length=4096)
    settings: dict[str, Any] | None = None
    is_default: bool | None = None

    @field_validator('provider')
    @classmethod
    def _check_kind(cls, value: str | None) -> str | None:
        return value if value is None else _known_kind(value)


class ConnectionRead(BaseModel):
    """What the browser may see: the key only as a mask."""

    id: str
    name: str
    provider: str
    base_url: str
    model: str
    api_key_hint: str | None
    settings: dict[str, Any]
    is_default: bool
    updated_at: datetime


@dataclass
class ConnectionCheck:
    """The answer to "does this connection work?": latency and models, or the error a user can act on."""

    latency_ms: int
    models: list[str]
    error: ProviderError | None = None


class ConnectionService:
    def __init__(self, db: Database, secret_box: SecretBox, http: httpx.AsyncClient, kv: KeyValueStore) -> None:
        self.db = db
        self.secret_box = secret_box
        self.http = http
        self.kv = kv

    async def create(self, owner: User, fields: ConnectionFields) -> ConnectionRead:
        row = ProviderConnection(owner_id=owner.id, name=fields.name.strip(), provider=fields.provider,
                                 base_url=str(fields.base_url or '').rstrip('/'), model=fields.model,
                                 api_key_encrypted=self._encrypt(fields.api_key), settings=fields.settings,
                                 is_default=fields.is_default)
        async with self.db.session() as session:
            if fields.is_default:
                await clear_default(session, ProviderConnection, owner)
            session.add(row)
            await session.commit()
        return self.read(row)

    async def list(self, owner: User) -> list[ConnectionRead]:
        statement = select(ProviderConnection).where(col(ProviderConnection.owner_id) == owner.id) \
            .order_by(col(ProviderConnection.name))
        async with self.db.session() as session:
            return [self.read(row) for row in (await session.exec(statement)).all()]

    async def get(self, owner: User, connection_id: str) -> ProviderConnection:
        async with self.db.session() as session:
            return await self._load(session, owner, connection_id)

    async def default(self, owner: User) -> ProviderConnection | None:
        statement = select(ProviderConnection).where(col(ProviderConnection.owner_id) == owner.id,
                                                     col(ProviderConnection.is_default).is_(True))
        async with self.db.session() as session:
            return (await session.exec(statement)).first()

    async def update(self, owner: User, connection_id: str, update: ConnectionUpdate) -> ConnectionRead:
        """Change the given fields; an empty `api_key` removes the key, None keeps it."""
        async with self.db.session() as session:
            row = await self._load(session, owner, connection_id)
            if update.name is not None:
                row.name = update.name.strip()
            if update.provider is not None:
                row.provider = update.provider
            if update.base_url is not None:
                row.base_url = str(update.base_url).rstrip('/')
            if update.model is not None:
                row.model = update.model
            if update.api_key is not None:
                row.api_key_encrypted = self._encrypt(update.api_key)
            if update.settings is not None:
                row.settings = update.settings
            if update.is_default:
                await clear_default(session, ProviderConnection, owner)
            if update.is_default is not None:
                row.is_default = update.is_default
            row.updated_at = utcnow()
            session.add(row)
            await session.commit()
        await self.kv.delete(_models_key(connection_id))
        return self.read(row)

    async def delete(self, owner: User, connection_id: str) -> None:
        async with self.db.session() as session:
            await session.delete(await self._load(session, owner, connection_id))
            await session.commit()
        await self.kv.delete(_models_key(connection_id))

    def provider(self, row: ProviderConnection) -> ChatProvider:
        return provider_kind(row.provider).create(row.base_url, self.api_key(row), self.http, row.settings)

    async def check(self, owner: User, connection_id: str) -> ConnectionCheck:
        """List the backend's models (refreshing the cache), timing the round trip."""
        provider = self.provider(await self.get(owner, connection_id))
        started = time.monotonic()
        try:
            models = await self._fetch_models(connection_id, provider)
        except ProviderError as error:
            return ConnectionCheck(int((time.monotonic() - started) * 1000), [], error)
        return ConnectionCheck(int((time.monotonic() - started) * 1000), models)

    async def models(self, owner: User, connection_id: str, *, refresh: bool = False) -> list[str]:
        """The connection's model ids, from the cache unless it is empty or `refresh` is asked for."""
        row = await self.get(owner, connection_id)
        cached = None if refresh else await self.kv.get(_models_key(connection_id))
        if cached is not None:
            return json.loads(cached)
        return await self._fetch_models(connection_id, self.provider(row))

    async def _fetch_models(self, connection_id: str, provider: ChatProvider) -> list[str]:
        models = [model.id for model in await provider.list_models()]
        await self.kv.set(_models_key(connection_id), json.dumps(models), ttl_seconds=MODELS_CACHE_SECONDS)
        return models

    def api_key(self, row: ProviderConnection) -> str | None:
        """The plain key, for the provider adapter only (never for the browser)."""
        return self.secret_box.decrypt(row.api_key_encrypted) if row.api_key_encrypted else None

    def read(self, row: ProviderConnection) -> ConnectionRead:
        key = self.api_key(row)
        return ConnectionRead(id=row.id, name=row.name, provider=row.provider, base_url=row.base_url, model=row.model,
                              api_key_hint=mask_secret(key) if key else None, settings=row.settings,
                              is_default=row.is_default, updated_at=row.updated_at)

    def _encrypt(self, key: str | None) -> str | None:
        return self.secret_box.encrypt(key.strip()) if key and key.strip() else None

    @staticmethod
    async def _load(session: Any, owner: User, connection_id: str) -> ProviderConnection:
        return await load_owned(session, ProviderConnection, connection_id, owner, code='error.connection.not_found',
                                message='No such connection.')


def _known_kind(value: str) -> str:
    if value not in PROVIDER_KINDS:
        raise ValueError(f'unknown connection kind "{value}"; use one of: {", ".join(PROVIDER_KINDS)}')
    return value


def _models_key(connection_id: str) -> str:
    return f'connection-models:{connection_id}'
