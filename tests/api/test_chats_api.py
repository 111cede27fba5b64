from collections.abc import Awaitable, Callable

import httpx

Login = Callable[..., Awaitable[dict[str, str]]]


async def _chat(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, dict]:
    character = await client.post('/api/v1/characters', headers=headers, json={
        'name': 'Mira', 'first_mes': 'Hello, {{user}}.', 'alternate_greetings': ['Welcome back.']})
    chat = await client.post('/api/v1/chats', headers=headers, json={'character_id': character.json()['id']})
    assert chat.status_code == 201
    return chat.json()['id'], character.json()


async def test_start_a_chat_and_page_its_messages(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    chat_id, character = await _chat(client, headers)
    page = (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=headers)).json()
    assert page['has_older'] is False
    assert [(m['role'], m['content'], m['swipes']) for m in page['items']] == \
        [('assistant', 'Hello, {{user}}.', ['Hello, {{user}}.', 'Welcome back.'])]
    listed = (await client.get(f'/api/v1/chats?character_id={character["id"]}', headers=headers)).json()
    assert [c['id'] for c in listed] == [chat_id]


async def test_rename_swipe_edit_branch_delete(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    chat_id, _ = await _chat(client, headers)
    renamed = await client.patch(f'/api/v1/chats/{chat_id}', headers=headers, json={'title': 'Storm night'})
    assert renamed.json()['title'] == 'Storm night'
    greeting = (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=headers)).json()['items'][0]
    swiped = await client.post(f'/api/v1/chats/{chat_id}/messages/{greeting["id"]}/swipe', headers=headers,
                               json={'direction': 1})
    assert swiped.json()['content'] == 'Welcome back.'
    edited = await client.patch(f'/api/v1/chats/{chat_id}/messages/{greeting["id"]}', headers=headers,
                                json={'content': 'Welcome back, friend.'})
    assert edited.json()['swipes'] == ['Hello, {{user}}.', 'Welcome back, friend.']
    branch = await client.post(f'/api/v1/chats/{chat_id}/branch', headers=headers, json={'up_to_seq': 0})
    assert branch.status_code == 201 and branch.json()['message_count'] == 1
    deleted = await client.post(f'/api/v1/chats/{chat_id}/messages/delete', headers=headers,
                                json={'message_ids': [greeting['id']]})
    assert deleted.json() == {'deleted': 1}
    assert (await client.delete(f'/api/v1/chats/{chat_id}', headers=headers)).status_code == 204
    assert (await client.get(f'/api/v1/chats/{chat_id}', headers=headers)).status_code == 404


async def test_another_users_chat_is_404_everywhere(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login('alice')
    chat_id, character = await _chat(client, alice)
    bob = await login('bob')
    client.cookies.clear()
    for method, path, body in [('GET', f'/api/v1/chats/{chat_id}', None),
                               ('GET', f'/api/v1/chats/{chat_id}/messages', None),
                               ('PATCH', f'/api/v1/chats/{chat_id}', {'title': 'x'}),
                               ('DELETE', f'/api/v1/chats/{chat_id}', None),
                               ('POST', f'/api/v1/chats/{chat_id}/branch', {'up_to_seq': 0}),
                               ('GET', f'/api/chat/stream/{chat_id}', None),
                               ('POST', '/api/v1/chats', {'character_id': character['id']})]:
        response = await client.request(method, path, headers=bob, json=body)
        assert response.status_code == 404, (method, path)
    assert (await client.get(f'/api/v1/chats/{chat_id}/messages', headers=alice)).status_code == 200
