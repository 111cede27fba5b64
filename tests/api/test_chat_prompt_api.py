"""REST: the prompt preview of a chat and its author's note."""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script()
    fake_openai.requests.clear()


async def _chat(client: httpx.AsyncClient, headers: dict[str, str], fake: FakeOpenAI) -> str:
    await client.post('/api/v1/connections', headers=headers, json={
        'name': 'Fake', 'provider': 'openai', 'base_url': fake.base_url, 'model': 'fake-model', 'is_default': True})
    character = await client.post('/api/v1/characters', headers=headers,
                                  json={'name': 'Mira', 'first_mes': 'Hi.', 'description': '{{char}} sails.'})
    chat = await client.post('/api/v1/chats', headers=headers, json={'character_id': character.json()['id']})
    return chat.json()['id']


async def test_authors_note_round_trips_and_shows_in_the_preview(client: httpx.AsyncClient, login: Login,
                                                                 fake_openai: FakeOpenAI) -> None:
    headers = await login()
    chat_id = await _chat(client, headers, fake_openai)
    empty = await client.get(f'/api/v1/chats/{chat_id}/authors-note', headers=headers)
    assert empty.json() == {'prompt': '', 'interval': 1, 'depth': 4, 'position': 1, 'role': 0}
    note = {'prompt': 'Mind the {{char}} voice.', 'interval': 1, 'depth': 0, 'position': 1, 'role': 1}
    saved = await client.put(f'/api/v1/chats/{chat_id}/authors-note', headers=headers, json=note)
    assert saved.status_code == 200 and saved.json() == note
    await client.post(f'/api/v1/chats/{chat_id}/messages', headers=headers, json={'content': 'Ahoy'})
    preview = (await client.get(f'/api/v1/chats/{chat_id}/prompt-preview', headers=headers)).json()
    sources = [message['source'] for message in preview['messages']]
    assert sources[:2] == ['main', 'charDescription']
    assert preview['messages'][1]['content'] == 'Mira sails.'
    assert {'role': 'user', 'content': 'Mind the Mira voice.', 'name': '', 'source': 'authorsNote'} in \
        preview['messages']
    assert preview['total_tokens'] == sum(block['tokens'] for block in preview['blocks'])
    assert preview['context_size'] == 4096 and preview['text'] is None


async def test_bad_note_values_and_other_users_chats_are_refused(client: httpx.AsyncClient, login: Login,
                                                                 fake_openai: FakeOpenAI) -> None:
    headers = await login()
    chat_id = await _chat(client, headers, fake_openai)
    bad = await client.put(f'/api/v1/chats/{chat_id}/authors-note', headers=headers,
                           json={'prompt': 'x', 'position': 7})
    assert bad.status_code == 422 and 'position' in bad.text
    intruder = await login('mallory')
    assert (await client.get(f'/api/v1/chats/{chat_id}/prompt-preview', headers=intruder)).status_code == 404
    assert (await client.put(f'/api/v1/chats/{chat_id}/authors-note', headers=intruder,
                             json={'prompt': 'x'})).status_code == 404
