"""The lorebook REST API on SQLite and PostgreSQL: books and entries in SillyTavern's spelling, bulk edits, multipart
import with a result per file, export in both formats, bindings and world-info settings, all behind log-in."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx

from app.services.container import Services
from tests.support.compat import COMPAT_DIR

Login = Callable[..., Awaitable[dict[str, str]]]
TAROT = COMPAT_DIR / 'community/worlds/塔罗牌v1.3.0.json'
ELDORIA = COMPAT_DIR / 'sillytavern/Eldoria.json'


async def create_book(client: httpx.AsyncClient, headers: dict[str, str], name: str = 'Atlas') -> dict:
    response = await client.post('/api/v1/lorebooks', json={'name': name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def import_files(client: httpx.AsyncClient, headers: dict[str, str], *files: tuple[str, bytes]) -> dict:
    response = await client.post('/api/v1/lorebooks/import', headers=headers,
                                 files=[('files', (name, data, 'application/json')) for name, data in files])
    assert response.status_code == 200, response.text
    return response.json()


async def test_unauthenticated_requests_get_401(client: httpx.AsyncClient) -> None:
    requests = [client.get('/api/v1/lorebooks'), client.post('/api/v1/lorebooks', json={'name': 'x'}),
                client.get('/api/v1/lorebooks/abc'), client.patch('/api/v1/lorebooks/abc', json={}),
                client.delete('/api/v1/lorebooks/abc'), client.get('/api/v1/lorebooks/abc/entries'),
                client.post('/api/v1/lorebooks/abc/entries', json={}),
                client.patch('/api/v1/lorebooks/abc/entries/0', json={}),
                client.delete('/api/v1/lorebooks/abc/entries/0'),
                client.post('/api/v1/lorebooks/abc/entries/bulk', json={'uids': [0]}),
                client.post('/api/v1/lorebooks/import', files={'files': ('a.json', b'{}')}),
                client.get('/api/v1/lorebooks/abc/export'), client.get('/api/v1/lorebooks/bindings'),
                client.put('/api/v1/lorebooks/bindings/global', json={'lorebook_ids': []}),
                client.get('/api/v1/world-info/settings'), client.put('/api/v1/world-info/settings', json={})]
    for request in requests:
        response = await request
        assert response.status_code == 401 and response.json()['code'] == 'error.auth.required'


async def test_books_and_entries_crud(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    book = await create_book(client, headers)
    assert (book['name'], book['entry_count'], book['is_global']) == ('Atlas', 0, False)
    assert (await client.post('/api/v1/lorebooks', json={'name': 'Atlas'}, headers=headers)).status_code == 409
    url = f'/api/v1/lorebooks/{book["id"]}'

    created = await client.post(f'{url}/entries', headers=headers, json={
        'key': ['harbour', '/port\\s+town/i'], 'comment': 'The harbour', 'content': 'Ships come and go.',
        'position': 4, 'depth': 2, 'role': 1, 'triggers': ['normal', 'swipe'], 'myTool': {'kept': True}})
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry['uid'] == 0
    assert entry['entry']['key'] == ['harbour', '/port\\s+town/i']
    assert (entry['entry']['position'], entry['entry']['depth'], entry['entry']['role']) == (4, 2, 1)
    assert (entry['entry']['order'], entry['entry']['probability'], entry['entry']['myTool']) == (100, 100,
                                                                                               {'kept': True})
    second = (await client.post(f'{url}/entries', json={'content': 'Gulls.'}, headers=headers)).json()
    assert second['uid'] == 1

    patched = await client.patch(f'{url}/entries/0', json={'comment': 'Harbour', 'sticky': 2}, headers=headers)
    assert patched.status_code == 200
    assert (patched.json()['entry']['comment'], patched.json()['entry']['sticky'],
            patched.json()['entry']['content']) == ('Harbour', 2, 'Ships come and go.')
    searched = (await client.get(f'{url}/entries', params={'q': 'SHIPS'}, headers=headers)).json()
    assert [item['uid'] for item in searched] == [0]
    assert [item['uid'] for item in (await client.get(f'{url}/entries', headers=headers)).json()] == [0, 1]

    renamed = await client.patch(url, json={'name': 'Sea Atlas', 'description': 'Coasts.'}, headers=headers)
    assert (renamed.json()['name'], renamed.json()['description'], renamed.json()['entry_count']) == \
        ('Sea Atlas', 'Coasts.', 2)
    assert (await client.delete(f'{url}/entries/1', headers=headers)).status_code == 204
    assert (await client.delete(f'{url}/entries/1', headers=headers)).status_code == 404
    listed = (await client.get('/api/v1/lorebooks', headers=headers)).json()
    assert [(item['name'], item['entry_count']) for item in listed] == [('Sea Atlas', 1)]
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_invalid_entries_and_books_get_422(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    book = await create_book(client, headers)
    url = f'/api/v1/lorebooks/{book["id"]}/entries'
    for body in ({'position': 8}, {'probability': 101}, {'key': 'not a list'}, {'triggers': ['sometimes']},
                 {'role': 3}, {'depth': -1}, {'content': 'x' * 200_001}):
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
    for body in ({'name': ' '}, {'name': 'x' * 201}, {}):
        assert (await client.post('/api/v1/lorebooks', json=body, headers=headers)).status_code == 422
    assert (await client.post(f'{url}/bulk', json={'uids': []}, headers=headers)).status_code == 422


async def test_bulk_edit(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    book = await create_book(client, headers)
    url = f'/api/v1/lorebooks/{book["id"]}/entries'
    for content in ('one', 'two', 'three'):
        await client.post(url, json={'content': content}, headers=headers)
    response = await client.post(f'{url}/bulk', json={'uids': [0, 2], 'disable': True, 'position': 4, 'depth': 0},
                                 headers=headers)
    assert response.json() == {'changed': 2}
    entries = {item['uid']: item['entry'] for item in (await client.get(url, headers=headers)).json()}
    assert [(entries[uid]['disable'], entries[uid]['position'], entries[uid]['depth']) for uid in (0, 1, 2)] == \
        [(True, 4, 0), (False, 0, 4), (True, 4, 0)]
    response = await client.post(f'{url}/bulk', json={'uids': [0, 1], 'action': 'delete'}, headers=headers)
    assert response.json() == {'changed': 2}
    assert [item['uid'] for item in (await client.get(url, headers=headers)).json()] == [2]


async def test_import_many_files_and_export_both_formats(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    report = await import_files(client, headers, (TAROT.name, TAROT.read_bytes()), ('bad.json', b'nope'),
                                (ELDORIA.name, ELDORIA.read_bytes()))
    assert [(item['filename'], item['status'], item['entries']) for item in report['results']] == \
        [(TAROT.name, 'imported', 9), ('bad.json', 'failed', 0), (ELDORIA.name, 'imported', 4)]
    assert report['results'][1]['code'] == 'error.world_info.broken_json' and report['results'][1]['message']
    assert (report['imported'], report['failed']) == (2, 1)

    book_id = report['results'][0]['lorebook_id']
    world = await client.get(f'/api/v1/lorebooks/{book_id}/export', headers=headers)
    assert world.status_code == 200 and world.headers['content-type'] == 'application/json'
    assert "filename*=UTF-8''%E5%A1%94" in world.headers['content-disposition']
    assert json.loads(world.content) == json.loads(TAROT.read_bytes())
    card_book = await client.get(f'/api/v1/lorebooks/{book_id}/export', params={'format': 'character_book'},
                                 headers=headers)
    entries = json.loads(card_book.content)['entries']
    assert sorted(entry['content'] for entry in entries) == \
        sorted(entry['content'] for entry in json.loads(TAROT.read_bytes())['entries'].values())
    assert (await client.get(f'/api/v1/lorebooks/{book_id}/export', params={'format': 'xml'},
                             headers=headers)).status_code == 422

    zh = await client.post('/api/v1/lorebooks/import', files={'files': ('bad.json', b'nope')},
                           headers={**headers, 'Accept-Language': 'zh-CN'})
    assert zh.json()['results'][0]['message'] != report['results'][1]['message']
    empty = await client.post('/api/v1/lorebooks/import', data={'note': 'x'}, headers=headers)
    assert empty.status_code == 422 and empty.json()['code'] == 'error.lorebook.missing_files'


async def test_bindings(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    first, second = await create_book(client, headers, 'First'), await create_book(client, headers, 'Second')
    character = (await client.post('/api/v1/characters', json={'name': 'Iris'}, headers=headers)).json()
    persona = (await client.post('/api/v1/personas', json={'name': 'Ash'}, headers=headers)).json()
    chat = (await client.post('/api/v1/chats', json={'character_id': character['id']}, headers=headers)).json()

    bound = await client.put('/api/v1/lorebooks/bindings/global', json={'lorebook_ids': [second['id']]},
                             headers=headers)
    assert bound.json()['global_ids'] == [second['id']]
    bound = await client.put(f'/api/v1/lorebooks/bindings/characters/{character["id"]}',
                             json={'lorebook_ids': [second['id'], first['id']]}, headers=headers)
    assert bound.json()['characters'] == {character['id']: [second['id'], first['id']]}
    await client.put(f'/api/v1/lorebooks/bindings/chats/{chat["id"]}', json={'lorebook_id': first['id']},
                     headers=headers)
    await client.put(f'/api/v1/lorebooks/bindings/personas/{persona["id"]}', json={'lorebook_id': first['id']},
                     headers=headers)
    bindings = (await client.get('/api/v1/lorebooks/bindings', headers=headers)).json()
    assert (bindings['chats'], bindings['personas']) == ({chat['id']: first['id']}, {persona['id']: first['id']})
    cleared = await client.put(f'/api/v1/lorebooks/bindings/chats/{chat["id"]}', json={'lorebook_id': None},
                               headers=headers)
    assert cleared.json()['chats'] == {}
    assert [book['is_global'] for book in (await client.get('/api/v1/lorebooks', headers=headers)).json()] == \
        [False, True]

    bob = await login('bob')
    for url, body in ((f'/api/v1/lorebooks/bindings/chats/{chat["id"]}', {'lorebook_id': None}),
                      ('/api/v1/lorebooks/bindings/global', {'lorebook_ids': [first['id']]}),
                      (f'/api/v1/lorebooks/bindings/characters/{character["id"]}', {'lorebook_ids': []})):
        assert (await client.put(url, json=body, headers=bob)).status_code == 404
    assert (await client.get(f'/api/v1/lorebooks/{first["id"]}', headers=bob)).status_code == 404
    assert (await client.get(f'/api/v1/lorebooks/{first["id"]}/entries', headers=bob)).status_code == 404


async def test_world_info_settings(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    defaults = (await client.get('/api/v1/world-info/settings', headers=headers)).json()
    assert (defaults['scan_depth'], defaults['budget_percent'], defaults['character_strategy']) == (2, 25, 1)
    changed = {**defaults, 'scan_depth': 6, 'recursive': True, 'budget_cap': 2048, 'character_strategy': 2}
    assert (await client.put('/api/v1/world-info/settings', json=changed, headers=headers)).json() == changed
    assert (await client.get('/api/v1/world-info/settings', headers=headers)).json() == changed
    for bad in ({'scan_depth': -1}, {'budget_percent': 0}, {'character_strategy': 3}):
        response = await client.put('/api/v1/world-info/settings', json={**changed, **bad}, headers=headers)
        assert response.status_code == 422, bad
    other = await login('bob')
    assert (await client.get('/api/v1/world-info/settings', headers=other)).json() == defaults


async def test_openapi_documents_read_and_write_schemas(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()
    components = schema['components']['schemas']
    assert {'LorebookRead', 'LorebookFields', 'EntryFields', 'EntryRead', 'BulkEdit', 'LorebookImportReport',
            'BindingsRead', 'WorldInfoSettingsFields'} <= set(components)
    assert 'multipart/form-data' in schema['paths']['/api/v1/lorebooks/import']['post']['requestBody']['content']
