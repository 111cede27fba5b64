"""`/api/v1/connections`: the user's model connections; keys go in, only masks come out."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..services.connections import ConnectionFields, ConnectionRead, ConnectionUpdate
from ..services.providers.kinds import PROVIDER_KINDS
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/connections', tags=['connections'])


class ConnectionTestResult(BaseModel):
    ok: bool
    latency_ms: int
    models: list[str]
    error: str | None = None


class ProviderKindRead(BaseModel):
    id: str
    label: str
    default_base_url: str
    needs_key: bool
    text_prompt: bool


@router.get('/kinds', response_model=list[ProviderKindRead])
async def list_kinds() -> list[ProviderKindRead]:
    """The kinds of model server a connection can use (`provider` in a connection)."""
    return [ProviderKindRead(id=k.id, label=k.label, default_base_url=k.default_base_url, needs_key=k.needs_key,
                             text_prompt=k.text_prompt) for k in PROVIDER_KINDS.values()]


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
    check = await services.connections.check(user, connection_id)
    return ConnectionTestResult(ok=check.error is None, latency_ms=check.latency_ms, models=check.models,
                                error=check.error.message if check.error else None)


@router.get('/{connection_id}/models', response_model=list[str])
async def list_models(connection_id: str, user: CurrentUser, services: ServicesDep, refresh: bool = False) -> list[str]:
    """The connection's model ids, cached for ten minutes unless `refresh=true`."""
    return await services.connections.models(user, connection_id, refresh=refresh)
