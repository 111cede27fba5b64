"""`/api/v1/connections`: the user's model connections; keys go in, only masks come out."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel

from ..services.connections import ConnectionFields, ConnectionRead, ConnectionUpdate
from ..services.providers.base import ProviderError
from ..services.providers.openai_compatible import OpenAICompatibleProvider
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/connections', tags=['connections'])


class ConnectionTestResult(BaseModel):
    ok: bool
    latency_ms: int
    models: list[str]
    error: str | None = None


@router.get('', response_model=list[ConnectionRead])
async def list_connections(user: CurrentUser, services: ServicesDep) -> list[ConnectionRead]:
    return await services.connections.list(user)


@router.post('', response_model=ConnectionRead, status_code=201)
async def create_connection(body: ConnectionFields, user: CurrentUser, services: ServicesDep) -> ConnectionRead:
    return await services.connections.create(user, body)


@router.patch('/{connection_id}', response_model=ConnectionRead)
async def update_connection(connection_id: str, body: ConnectionUpdate, user: CurrentUser,
                            services: ServicesDep) -> ConnectionRead:
    return await services.connections.update(user, connection_id, body)


@router.delete('/{connection_id}', status_code=204)
async def delete_connection(connection_id: str, user: CurrentUser, services: ServicesDep) -> None:
    await services.connections.delete(user, connection_id)


@router.post('/{connection_id}/test', response_model=ConnectionTestResult)
async def test_connection(connection_id: str, user: CurrentUser, services: ServicesDep) -> ConnectionTestResult:
    """List the backend's models and report how long it took, or the error a user can act on."""
    row = await services.connections.get(user, connection_id)
    provider = OpenAICompatibleProvider(row.base_url, services.connections.api_key(row), client=services.http)
    started = time.monotonic()
    try:
        models = await provider.list_models()
    except ProviderError as error:
        return ConnectionTestResult(ok=False, latency_ms=int((time.monotonic() - started) * 1000), models=[],
                                    error=error.message)
    return ConnectionTestResult(ok=True, latency_ms=int((time.monotonic() - started) * 1000),
                                models=[model.id for model in models])
