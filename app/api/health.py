"""`/healthz`: database and (when configured) Redis reachability, for load balancers and operators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .. import __version__
from .deps import ServicesDep

router = APIRouter(tags=['operations'])
CHECK_TIMEOUT = 3.0


@router.get('/healthz')
async def healthz(services: ServicesDep) -> JSONResponse:
    checks = {'database': await _check(services.db.ping())}
    if services.settings.redis_url:
        checks['redis'] = await _check(services.kv.ping())
    healthy = all(value == 'ok' for value in checks.values())
    body = {'status': 'ok' if healthy else 'degraded', 'version': __version__, 'checks': checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _check(probe: object) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT)  # type: ignore[arg-type]
        return 'ok'
    except Exception as error:
        return f'error: {type(error).__name__}: {error}'[:200]
