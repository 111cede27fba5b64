"""REST: importing SillyTavern chat files (multipart) and exporting chats as JSONL, Markdown or text."""

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx

from app.services.container import Services
from tests.support.compat_chats import compat_chat

Login = Callable[..., Awaitable[dict[str, str]]]


async def _character(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    response = await client.post('/api/v1/characters', headers=headers, json={'name': name, 'first_mes': 'Hi.'})
    assert response.status_code == 201
    return response.json()['id']


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], filename: str, data: bytes,
                  character_id: str | None = None) -> httpx.Response:
    form = {'character_id': character_id} if character_id else {}
    return await client.post('/api/v1/chats/import', headers=headers, data=form,
                             files={'file': (filename, data, 'application/jsonl')})


async def test_import_by_header_name_then_export_every_format(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    compat = compat_chat('卡')
    character_id = await _character(client, headers, '卡')
    imported = await _upload(client, headers, compat.filename, compat.data())
    assert imported.status_code == 201, imported.text
    summary = imported.json()
    assert (summary['character_id'], summary['message_count']) == (character_id, 26)
    assert summary['title'] == compat.filename.removesuffix('.jsonl')
    page = (await client.get(f'/api/v1/chats/{summary["id"]}/messages?limit=5', headers=headers)).json()
    assert [item['name'] for item in page['items']] == [o['name'] for o in compat.message_objects()[-5:]]

    jsonl = await client.get(f'/api/v1/chats/{summary["id"]}/export?format=jsonl', headers=headers)
    assert jsonl.status_code == 200 and jsonl.headers['content-type'].startswith('application/jsonl')
    expected_name = f'{summary["title"]}.jsonl'
    assert jsonl.headers['content-disposition'] == \
        f'attachment; filename="_{expected_name[1:]}"; filename*=UTF-8\'\'{quote(expected_name, safe="")}'
    lines = [json.loads(line) for line in jsonl.text.split('\n')]
    assert lines == compat.objects()
    markdown = await client.get(f'/api/v1/chats/{summary["id"]}/export?format=md', headers=headers)
    assert markdown.headers['content-type'].startswith('text/markdown') and markdown.text.startswith('# 卡_-_')
    assert 'filename*=UTF-8' in markdown.headers['content-disposition']
    text = await client.get(f'/api/v1/chats/{summary["id"]}/export?format=txt', headers=headers)
    assert text.headers['content-type'].startswith('text/plain') and text.text.startswith('常九: ')
    assert (await client.get(f'/api/v1/chats/{summary["id"]}/export?format=pdf', headers=headers)).status_code == 422


async def test_a_headerless_group_chat_imports_into_the_chosen_character(client: httpx.AsyncClient,
                                                                       login: Login) -> None:
    headers = await login()
    compat = compat_chat('GPT-4o_Branch')
    refused = await _upload(client, headers, compat.filename, compat.data())
    assert refused.status_code == 422 and refused.json()['code'] == 'error.chat_file.choose_character'
    assert 'Choose the character' in refused.json()['detail']
    character_id = await _character(client, headers, 'Vergil')
    imported = await _upload(client, headers, compat.filename, compat.data(), character_id)
    assert imported.status_code == 201 and imported.json()['message_count'] == 57
    exported = await client.get(f'/api/v1/chats/{imported.json()["id"]}/export', headers=headers)
    again = await _upload(client, headers, 'again.jsonl', exported.content, character_id)
    assert again.status_code == 201 and again.json()['message_count'] == 57
    chats = (await client.get(f'/api/v1/chats?character_id={character_id}', headers=headers)).json()
    assert len(chats) == 2


async def test_malformed_uploads_are_refused_in_the_callers_language(client: httpx.AsyncClient,
                                                                     login: Login) -> None:
    headers = await login()
    character_id = await _character(client, headers, 'Mira')
    bad = await _upload(client, headers, 'bad.jsonl', b'{"mes":"ok"}\n{oops', character_id)
    assert bad.status_code == 422 and bad.json() == {
        'code': 'error.chat_file.bad_line',
        'detail': 'Line 2 is not a JSON object. Each line of a SillyTavern chat is one message.'}
    chinese = await client.post('/api/v1/chats/import', headers={**headers, 'Accept-Language': 'zh-CN'},
                                data={'character_id': character_id}, files={'file': ('e.jsonl', b'', 'text/plain')})
    assert chinese.status_code == 422 and chinese.json()['detail'].startswith('聊天文件是空的')
    missing = await client.post('/api/v1/chats/import', headers=headers, data={'character_id': character_id})
    assert missing.status_code == 422 and missing.json()['code'] == 'error.chat_file.missing'
    assert (await client.get(f'/api/v1/chats?character_id={character_id}', headers=headers)).json() == []


async def test_an_oversized_upload_gets_413(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    character_id = await _character(client, headers, 'Mira')
    limit = services.chat_import.limits.max_bytes
    for size in (limit + 1, limit + 1024 * 1024):  # refused after parsing the form, and from Content-Length alone
        response = await _upload(client, headers, 'big.jsonl', b'x' * size, character_id)
        assert response.status_code == 413 and response.json()['detail'] == 'The chat file is larger than 50 MB.'


async def test_another_users_chat_and_character_are_404(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login('alice')
    character_id = await _character(client, alice, 'Mira')
    chat_id = (await client.post('/api/v1/chats', headers=alice, json={'character_id': character_id})).json()['id']
    bob = await login('bob')
    client.cookies.clear()
    assert (await client.get(f'/api/v1/chats/{chat_id}/export', headers=bob)).status_code == 404
    stolen = await _upload(client, bob, 'x.jsonl', b'{"mes":"hi"}', character_id)
    assert stolen.status_code == 404
    assert (await client.get(f'/api/v1/chats/{chat_id}/export?format=md', headers=alice)).status_code == 200
    assert (await client.get(f'/api/v1/chats/{chat_id}/export')).status_code == 401


async def test_openapi_documents_the_multipart_import_and_the_export_formats(client: httpx.AsyncClient) -> None:
    spec = (await client.get('/openapi.json')).json()
    body = spec['paths']['/api/v1/chats/import']['post']['requestBody']['content']['multipart/form-data']['schema']
    assert body['required'] == ['file'] and body['properties']['file']['format'] == 'binary'
    export = spec['paths']['/api/v1/chats/{chat_id}/export']['get']
    (parameter,) = [p for p in export['parameters'] if p['in'] == 'query']
    assert parameter['name'] == 'format' and {'application/jsonl', 'text/markdown', 'text/plain'} <= \
        set(export['responses']['200']['content'])
