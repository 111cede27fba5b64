from collections.abc import Awaitable, Callable

import httpx

from tests.support.fake_openai import FakeOpenAI

Login = Callable[..., Awaitable[dict[str, str]]]


async def test_connection_crud_never_returns_the_key(client: httpx.AsyncClient, login: Login,
                                                     fake_openai: FakeOpenAI) -> None:
    headers = await login()
    created = await client.post('/api/v1/connections', headers=headers, json={
        'name': 'Fake', 'provider': 'openai', 'base_url': fake_openai.base_url, 'model': 'fake-model',
        'api_key': 'sk-very-secret-key-1234', 'is_default': True})
    assert created.status_code == 201
    assert 'sk-very-secret' not in created.text and created.json()['api_key_hint'] == '••••1234'
    connection_id = created.json()['id']
    listed = await client.get('/api/v1/connections', headers=headers)
    assert 'sk-very-secret' not in listed.text and len(listed.json()) == 1
    tested = (await client.post(f'/api/v1/connections/{connection_id}/test', headers=headers)).json()
    assert tested['ok'] is True and tested['models'] == ['fake-model'] and tested['latency_ms'] >= 0
    patched = await client.patch(f'/api/v1/connections/{connection_id}', headers=headers, json={'model': 'other'})
    assert patched.json()['model'] == 'other'
    assert (await client.delete(f'/api/v1/connections/{connection_id}', headers=headers)).status_code == 204


async def test_a_failing_connection_test_reports_the_reason(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    created = await client.post('/api/v1/connections', headers=headers, json={
        'name': 'Down', 'provider': 'openai', 'base_url': 'http://127.0.0.1:9/v1'})
    tested = (await client.post(f'/api/v1/connections/{created.json()["id"]}/test', headers=headers)).json()
    assert tested['ok'] is False and 'Cannot reach http://127.0.0.1:9/v1' in tested['error']


async def test_send_a_message_over_the_api(client: httpx.AsyncClient, login: Login, fake_openai: FakeOpenAI,
                                           services) -> None:
    headers = await login()
    await client.post('/api/v1/connections', headers=headers, json={
        'name': 'Fake', 'provider': 'openai', 'base_url': fake_openai.base_url, 'model': 'fake-model',
        'is_default': True})
    character = await client.post('/api/v1/characters', headers=headers, json={'name': 'Mira'})
    chat_id = (await client.post('/api/v1/chats', headers=headers,
                                 json={'character_id': character.json()['id']})).json()['id']
    sent = await client.post(f'/api/v1/chats/{chat_id}/messages', headers=headers, json={'content': 'Hi'})
    assert sent.status_code == 202
    await services.generation.wait(chat_id)
    items = (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=headers)).json()['items']
    assert [(m['role'], m['content']) for m in items] == [('user', 'Hi'), ('assistant', 'Hello there!')]
    assert items[-1]['id'] == sent.json()['reply_id']
