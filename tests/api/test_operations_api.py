from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.services.container import Services, build_services
from tests.api.conftest import api_client

UNREACHABLE_REDIS = 'redis://127.0.0.1:1/0'


@pytest.fixture
async def redis_services(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Services]:
    """Services with Redis configured: the real test Redis, or (param 'gone') an address nothing listens on."""
    settings.redis_url = UNREACHABLE_REDIS if getattr(request, 'param', '') == 'gone' else \
        request.getfixturevalue('redis_url')
    settings.ensure_data_dir()
    built = build_services(settings)
    yield built
    await built.close()


async def test_healthz_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get('/healthz')
    assert response.status_code == 200
    assert response.json()['checks'] == {'database': 'ok'}


async def test_healthz_reports_redis_when_configured(redis_services: Services) -> None:
    async with api_client(redis_services) as http:
        response = await http.get('/healthz')
    assert response.status_code == 200 and response.json()['checks'] == {'database': 'ok', 'redis': 'ok'}


@pytest.mark.parametrize('redis_services', ['gone'], indirect=True)
async def test_healthz_is_503_when_redis_is_gone(redis_services: Services) -> None:
    async with api_client(redis_services) as http:
        response = await http.get('/healthz')
    assert response.status_code == 503
    body = response.json()
    assert body['status'] == 'degraded' and body['checks']['database'] == 'ok'
    assert 'Redis' in body['checks']['redis']


@pytest.mark.parametrize('redis_services', ['gone'], indirect=True)
async def test_login_with_redis_gone_is_a_clear_503(redis_services: Services) -> None:
    async with api_client(redis_services) as http:
        response = await http.post('/api/v1/auth/login', json={'username': 'alice', 'password': 'whatever1'})
    assert response.status_code == 503
    assert response.json()['detail'] == 'The shared cache (Redis) cannot be reached. Try again in a moment.'


async def test_metrics_count_requests_by_route_template(services: Services) -> None:
    async with api_client(services, active_connections=7) as http:
        await http.get('/api/v1/characters/abc')
        await http.get('/api/v1/characters/def')
        await http.get('/no/such/path')
        text = (await http.get('/metrics')).text
    assert 'tavern_http_requests_total{method="GET",route="/api/v1/characters/{character_id}",status="401"} 2.0' in text
    assert 'route="unmatched",status="404"} 1.0' in text
    assert 'tavern_active_connections 7.0' in text
    assert 'tavern_http_request_duration_seconds_bucket' in text
