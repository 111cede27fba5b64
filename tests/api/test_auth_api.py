from collections.abc import Awaitable, Callable

import httpx

from app.services.container import Services
from tests.api.conftest import PASSWORD

Login = Callable[..., Awaitable[dict[str, str]]]


async def test_login_sets_http_only_session_cookie(client: httpx.AsyncClient, services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    response = await client.post('/api/v1/auth/login', json={'username': 'alice', 'password': PASSWORD})
    cookie = response.headers['set-cookie']
    assert 'tavern_session=' in cookie and 'HttpOnly' in cookie and 'SameSite=lax' in cookie
    assert response.json()['token_type'] == 'bearer'


async def test_failed_login_is_401_and_the_same_for_unknown_users(client: httpx.AsyncClient,
                                                                   services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    known = await client.post('/api/v1/auth/login', json={'username': 'alice', 'password': 'wrong password'})
    unknown = await client.post('/api/v1/auth/login', json={'username': 'nobody', 'password': 'wrong password'})
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json() == {'detail': 'Wrong handle or password.',
                                              'code': 'error.auth.invalid_credentials'}


async def test_errors_follow_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get('/api/v1/me', headers={'Accept-Language': 'zh-CN,zh;q=0.9'})
    assert response.status_code == 401 and response.json()['detail'] == '请先登录。'


async def test_repeated_failures_are_rate_limited_with_retry_after(client: httpx.AsyncClient,
                                                                   services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    for _ in range(services.settings.login_attempts_per_account):
        await client.post('/api/v1/auth/login', json={'username': 'alice', 'password': 'wrong password'})
    response = await client.post('/api/v1/auth/login', json={'username': 'alice', 'password': PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers['retry-after']) <= services.settings.login_lockout_seconds
    assert 'Too many failed login attempts' in response.json()['detail']


async def test_logout_ends_the_session(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    assert (await client.post('/api/v1/auth/logout', headers=headers)).status_code == 204
    assert (await client.get('/api/v1/me', headers=headers)).status_code == 401


async def test_cookie_writes_from_another_site_are_refused(client: httpx.AsyncClient, login: Login) -> None:
    await login()
    foreign = await client.post('/api/v1/characters', json={'name': 'X'}, headers={'Origin': 'https://evil.example'})
    assert foreign.status_code == 403
    same = await client.post('/api/v1/characters', json={'name': 'X'}, headers={'Origin': 'http://testserver'})
    assert same.status_code == 201


async def test_personal_api_tokens(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    created = await client.post('/api/v1/me/tokens', json={'name': 'script'}, headers=headers)
    assert created.status_code == 201
    token = created.json()['token']
    client.cookies.clear()
    assert (await client.get('/api/v1/me', headers={'Authorization': f'Bearer {token}'})).json()['handle'] == 'alice'
    listed = (await client.get('/api/v1/me/tokens', headers=headers)).json()
    assert [item['name'] for item in listed] == ['script'] and 'token' not in listed[0]
    assert (await client.delete(f'/api/v1/me/tokens/{created.json()["id"]}', headers=headers)).status_code == 204
    assert (await client.get('/api/v1/me', headers={'Authorization': f'Bearer {token}'})).status_code == 401


async def test_invalid_bearer_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get('/api/v1/me', headers={'Authorization': 'Bearer not-a-token'})
    assert response.status_code == 401
