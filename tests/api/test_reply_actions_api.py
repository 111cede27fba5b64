"""REST: a chat's generation settings, regenerate, continue, impersonate, the prompt token count, model lists."""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from app.services.container import Services
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script()
    fake_openai.requests.clear()


async def _chat(client: httpx.AsyncClient, headers: dict[str, str], fake: FakeOpenAI) -> tuple[str, str]:
    connection = await client.post('/api/v1/connections', headers=headers, json={
        'name': 'Fake', 'provider': 'openai', 'base_url': fake.base_url, 'model': 'fake-model', 'is_default': True})
    character = await client.post('/api/v1/characters', headers=headers, json={'name': 'Mira', 'first_mes': 'Hi.'})
    chat = await client.post('/api/v1/chats', headers=headers, json={'character_id': character.json()['id']})
    return chat.json()['id'], connection.json()['id']


async def test_patch_sets_the_connection_and_settings_and_refuses_bad_values(
        client: httpx.AsyncClient, login: Login, fake_openai: FakeOpenAI) -> None:
    headers = await login()
    chat_id, connection_id = await _chat(client, headers, fake_openai)
    patched = await client.patch(f'/api/v1/chats/{chat_id}', headers=headers, json={
        'connection_id': connection_id, 'settings': {'temperature': 0.5, 'max_tokens': 80, 'stop': ['###']}})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body['connection_id'] == connection_id
    assert body['settings']['temperature'] == 0.5 and body['settings']['stop'] == ['###']
    bad = await client.patch(f'/api/v1/chats/{chat_id}', headers=headers, json={'settings': {'top_p': 3}})
    assert bad.status_code == 422 and 'top_p' in bad.text
    renamed = await client.patch(f'/api/v1/chats/{chat_id}', headers=headers, json={'title': 'Kept settings'})
    assert renamed.json()['settings']['max_tokens'] == 80 and renamed.json()['connection_id'] == connection_id


async def test_regenerate_continue_and_impersonate(client: httpx.AsyncClient, login: Login, services: Services,
                                                   fake_openai: FakeOpenAI) -> None:
    headers = await login()
    chat_id, _ = await _chat(client, headers, fake_openai)
    fake_openai.script = Script(tokens=[' More', ' words.'])
    started = await client.post(f'/api/v1/chats/{chat_id}/continue', headers=headers)
    assert started.status_code == 202
    await services.generation.wait(chat_id)
    fake_openai.script = Script(tokens=['Another', ' greeting.'])
    regenerated = await client.post(f'/api/v1/chats/{chat_id}/regenerate', headers=headers)
    assert regenerated.json()['reply_id'] == started.json()['reply_id']
    await services.generation.wait(chat_id)
    items = (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=headers)).json()['items']
    assert items[0]['swipes'] == ['Hi. More words.', 'Another greeting.']
    fake_openai.script = Script(tokens=['I smile.'])
    impersonated = await client.post(f'/api/v1/chats/{chat_id}/impersonate', headers=headers)
    assert impersonated.json() == {'content': 'I smile.'}
    tokens = await client.post(f'/api/v1/chats/{chat_id}/prompt-tokens', headers=headers, json={'draft': 'abcd' * 10})
    empty = await client.post(f'/api/v1/chats/{chat_id}/prompt-tokens', headers=headers, json={})
    assert tokens.json()['prompt_tokens'] == empty.json()['prompt_tokens'] + 10


async def test_interrupt_with_regenerate_starts_a_new_swipe(client: httpx.AsyncClient, login: Login,
                                                            services: Services, fake_openai: FakeOpenAI) -> None:
    headers = await login()
    chat_id, _ = await _chat(client, headers, fake_openai)
    fake_openai.script = Script(tokens=[f'w{i} ' for i in range(200)], delay=0.02)
    sent = await client.post(f'/api/v1/chats/{chat_id}/messages', headers=headers, json={'content': 'Talk'})
    fake_openai.script = Script(tokens=['Fresh.'])
    stopped = await client.post(f'/api/chat/interrupt/{chat_id}', headers=headers,
                                json={'messageId': sent.json()['reply_id'], 'reason': 'regenerate'})
    assert stopped.json()['reply_id'] == sent.json()['reply_id']
    await services.generation.wait(chat_id)
    reply = (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=headers)).json()['items'][-1]
    assert reply['swipes'][-1] == 'Fresh.' and len(reply['swipes']) == 2


async def test_connection_kinds_and_cached_models(client: httpx.AsyncClient, login: Login,
                                                  fake_openai: FakeOpenAI) -> None:
    headers = await login()
    kinds = (await client.get('/api/v1/connections/kinds', headers=headers)).json()
    assert {k['id'] for k in kinds} == {'openai', 'openai_text', 'anthropic', 'gemini', 'koboldcpp', 'ollama'}
    _, connection_id = await _chat(client, headers, fake_openai)
    models = await client.get(f'/api/v1/connections/{connection_id}/models?refresh=true', headers=headers)
    assert models.json() == ['fake-model']
    typo = await client.post('/api/v1/connections', headers=headers, json={'name': 'x', 'provider': 'claude'})
    assert typo.status_code == 422 and 'unknown connection kind' in typo.text
