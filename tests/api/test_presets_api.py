"""REST tests for presets: a multipart import with one result per preset, listing by kind, create, partial edits
(name, JSON, active mark), export as SillyTavern JSON, delete, privacy between users and the OpenAPI description."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx

from app.services.presets.chat_completion_defaults import default_preset_data
from tests.support.compat import COMPAT_DIR

Login = Callable[..., Awaitable[dict[str, str]]]
PRESETS = '/api/v1/presets'
COMMUNITY = COMPAT_DIR / 'community' / 'presets'
QUICK_REPLIES = COMPAT_DIR / 'sillytavern' / 'presets' / 'quick-replies' / 'Default.json'


def upload(*paths: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [('files', (name, data, 'application/json')) for name, data in paths]


def community(name: str) -> tuple[str, bytes]:
    return name, (COMMUNITY / name).read_bytes()


async def import_files(client: httpx.AsyncClient, headers: dict[str, str], *files: tuple[str, bytes],
                       **params: str) -> httpx.Response:
    return await client.post(f'{PRESETS}/import', files=upload(*files), headers=headers, params=params)


async def test_import_gives_one_result_per_preset(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    response = await import_files(client, headers, community('Marinaras_Special.json'), community('Gemma-Custom.json'),
                                  ('Default.json', QUICK_REPLIES.read_bytes()), ('Broken.json', b'{"temp": '))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body['imported'], body['replaced'], body['failed']) == (4, 0, 2)
    assert [(result['filename'], result['status'], result['kind']) for result in body['results']] == [
        ('Marinaras_Special.json', 'imported', 'chat_completion'), ('Gemma-Custom.json', 'imported', 'instruct'),
        ('Gemma-Custom.json', 'imported', 'context'), ('Gemma-Custom.json', 'imported', 'sysprompt'),
        ('Default.json', 'failed', None), ('Broken.json', 'failed', None)]
    quick, broken = body['results'][4:]
    assert quick['code'] == 'error.presets.quick_replies' and 'not a preset' in quick['message']
    assert broken['code'] == 'error.presets.not_json' and broken['message'].startswith('Broken.json is not valid')

    listing = (await client.get(PRESETS, headers=headers)).json()
    assert [(item['kind'], item['name'], item['is_active']) for item in listing] == [
        ('chat_completion', 'Marinaras_Special', False), ('context', 'Gemma-Custom', False),
        ('instruct', 'Gemma-Custom', False), ('sysprompt', 'Gemma-Custom', False)]
    assert 'data' not in listing[0]
    only = (await client.get(PRESETS, params={'kind': 'sysprompt'}, headers=headers)).json()
    assert [item['name'] for item in only] == ['Gemma-Custom']
    assert (await client.get(PRESETS, params={'kind': 'novel'}, headers=headers)).status_code == 422
    one = (await client.get(f'{PRESETS}/{listing[0]["id"]}', headers=headers)).json()
    assert one['data'] == json.loads((COMMUNITY / 'Marinaras_Special.json').read_text(encoding='utf-8'))


async def test_import_names_clashes_replaces_on_request_and_speaks_chinese(client: httpx.AsyncClient,
                                                                            login: Login) -> None:
    headers = await login()
    first = (await import_files(client, headers, community('ChatML-Custom-Instruct.json'))).json()['results'][0]
    again = (await import_files(client, headers, community('ChatML-Custom-Instruct.json'))).json()['results'][0]
    assert (again['status'], again['name']) == ('imported', 'ChatML-Custom (2)')
    replaced = (await import_files(client, headers, community('ChatML-Custom-Instruct.json'),
                                   replace='true')).json()['results'][0]
    assert (replaced['status'], replaced['preset_id']) == ('replaced', first['preset_id'])
    chinese = await import_files(client, {**headers, 'Accept-Language': 'zh-CN'},
                                 ('Default.json', QUICK_REPLIES.read_bytes()))
    assert chinese.json()['results'][0]['message'].startswith('Default.json 是快速回复')
    empty = await client.post(f'{PRESETS}/import', headers=headers, data={'note': 'no file'})
    assert empty.status_code == 422 and empty.json()['code'] == 'error.presets.missing_files'


async def test_create_edit_activate_export_and_delete(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    created = await client.post(PRESETS, json={'kind': 'chat_completion', 'name': 'Mine ',
                                               'data': default_preset_data(), 'is_active': True}, headers=headers)
    assert created.status_code == 201, created.text
    preset = created.json()
    assert (preset['name'], preset['kind'], preset['is_active']) == ('Mine', 'chat_completion', True)
    clash = await client.post(PRESETS, json={'kind': 'chat_completion', 'name': 'Mine',
                                             'data': default_preset_data()}, headers=headers)
    assert clash.status_code == 409 and clash.json()['code'] == 'error.presets.name_taken'
    wrong = await client.post(PRESETS, json={'kind': 'context', 'name': 'Story', 'data': {'content': 'x'}},
                              headers=headers)
    assert wrong.status_code == 422 and wrong.json()['code'] == 'error.presets.kind_mismatch'

    url = f'{PRESETS}/{preset["id"]}'
    data = {**default_preset_data(), 'assistant_prefill': 'Sure,', 'custom_key': {'kept': [1, 2]}}
    patched = await client.patch(url, json={'name': 'Mine — edited', 'data': data}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()['name'], patched.json()['is_active']) == ('Mine — edited', True)
    off = await client.patch(url, json={'is_active': False}, headers=headers)
    assert off.json()['is_active'] is False and off.json()['data'] == data

    exported = await client.get(f'{url}/export', headers=headers)
    assert exported.status_code == 200 and exported.headers['content-type'] == 'application/json'
    assert exported.headers['content-disposition'].endswith(quote('Mine — edited.json', safe=''))
    assert exported.json() == data

    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_presets_are_private(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login('alice')
    result = (await import_files(client, alice, community('DefaultMGB.json'))).json()['results'][0]
    bob = await login('bob')
    url = f'{PRESETS}/{result["preset_id"]}'
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.get(f'{url}/export', headers=bob)).status_code == 404
    assert (await client.patch(url, json={'is_active': True}, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    assert (await client.get(PRESETS, headers=bob)).json() == []
    assert (await client.get(url, headers=alice)).status_code == 200
    assert (await client.get(PRESETS, headers={'Authorization': 'Bearer nope'})).status_code == 401


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()
    paths = schema['paths']
    assert set(paths[PRESETS]) == {'get', 'post'}
    assert set(paths[f'{PRESETS}/{{preset_id}}']) == {'get', 'patch', 'delete'}
    assert 'multipart/form-data' in paths[f'{PRESETS}/import']['post']['requestBody']['content']
    assert 'application/json' in paths[f'{PRESETS}/{{preset_id}}/export']['get']['responses']['200']['content']
    schemas = schema['components']['schemas']
    assert {'PresetCreate', 'PresetRead', 'PresetSummary', 'PresetChanges', 'PresetImportReport'} <= set(schemas)
    assert 'data' in schemas['PresetRead']['properties'] and 'data' not in schemas['PresetSummary']['properties']
