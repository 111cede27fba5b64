"""REST tests: a plain FastAPI app with every API route on the test services, and an HTTP client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from app import runtime
from app.api.router import install_api
from app.services.container import Services

PASSWORD = 'correct horse battery'


@asynccontextmanager
async def api_client(services: Services, active_connections: int = 0) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a fresh app with every API route, running on `services`."""
    app = FastAPI()
    install_api(app, active_connections=lambda: active_connections)
    runtime.install(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://testserver') as http:
        yield http
    runtime.install(None)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(services) as http:
        yield http


@pytest.fixture
def login(client: httpx.AsyncClient, services: Services) -> Callable[..., Awaitable[dict[str, str]]]:
    """Register an account and log in through the API; returns bearer headers (the client also keeps the cookie)."""
    async def login_as(handle: str = 'alice', password: str = PASSWORD) -> dict[str, str]:
        await services.accounts.register(handle, password, by_admin=True)
        response = await client.post('/api/v1/auth/login', json={'username': handle, 'password': password})
        assert response.status_code == 200, response.text
        return {'Authorization': f'Bearer {response.json()["access_token"]}'}
    return login_as
