"""What operators and API clients rely on, checked against the real server process: health, metrics, API docs."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_health_reports_database_and_redis(live_server_pg_redis: str) -> None:
    health = httpx.get(f'{live_server_pg_redis}/healthz')
    assert health.status_code == 200
    assert health.json()['checks'] == {'database': 'ok', 'redis': 'ok'}


def test_metrics_and_api_docs_are_served(live_server: str) -> None:
    assert httpx.get(f'{live_server}/healthz').json()['checks'] == {'database': 'ok'}
    schema = httpx.get(f'{live_server}/openapi.json')
    assert schema.status_code == 200
    paths = set(schema.json()['paths'])
    assert {'/api/v1/auth/login', '/api/v1/characters', '/api/v1/characters/{character_id}', '/healthz'} <= paths
    assert httpx.get(f'{live_server}/docs').status_code == 200

    metrics = httpx.get(f'{live_server}/metrics')
    assert metrics.status_code == 200
    assert 'tavern_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    assert 'tavern_active_connections' in metrics.text
