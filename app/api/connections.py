"""`/api/v1/connections`: the user's model connections; keys go in, only masks come out."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..services.connections import ConnectionFields, ConnectionRead, ConnectionUpdate
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
    check = await services.connections.check(user, connection_id)
    return ConnectionTestResult(ok=check.error is None, latency_ms=check.latency_ms, models=check.models,
                                error=check.error.message if check.error else None)
