"""REST tests for character card files: a multipart import with one result per file (imported, duplicate, failed),
exports in every format with a download name that survives any characters, and privacy between users."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx

from app.services.card_formats import CardFileLimits
from app.services.container import Services
from tests.support.compat_cards import file_data

Login = Callable[..., Awaitable[dict[str, str]]]
IMPORT = '/api/v1/characters/import'


def upload(*filenames: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [('files', (name, file_data(name), 'application/octet-stream')) for name in filenames]


async def import_files(client: httpx.AsyncClient, headers: dict[str, str],
                       files: list[tuple[str, tuple[str, bytes, str]]], **extra: str) -> httpx.Response:
    return await client.post(IMPORT, files=files, headers={**headers, **extra})


async def test_import_gives_one_result_per_file(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    files = upload('default_Seraphina.png', 'test-card.json', 'Professor_Mari.png', 'invalid_missing_name.json')
    response = await import_files(client, headers, files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body['imported'], body['duplicates'], body['failed']) == (2, 0, 2)
    results = {result['filename']: result for result in body['results']}
    assert results['default_Seraphina.png']['status'] == 'imported'
    assert results['default_Seraphina.png']['name'] == 'Seraphina'
    assert results['test-card.json']['name'] == 'Luna Starweaver'
    assert results['Professor_Mari.png']['code'] == 'error.card.lfs_pointer'
    assert results['invalid_missing_name.json']['code'] == 'error.card.no_name'
    assert 'no character name' in results['invalid_missing_name.json']['message']
    seraphina = await client.get(f'/api/v1/characters/{results["default_Seraphina.png"]["character_id"]}',
                                 headers=headers)
    assert seraphina.json()['avatar_url'] and len(seraphina.json()['card']['data']['character_book']['entries']) == 4
    listing = (await client.get('/api/v1/characters', headers=headers)).json()
    assert sorted(item['name'] for item in listing['items']) == ['Luna Starweaver', 'Seraphina']


async def test_duplicates_and_localized_reasons(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    first = (await import_files(client, headers, upload('Mega_Man.png'))).json()['results'][0]
    again = await import_files(client, headers, upload('Mega_Man.png', 'Professor_Mari.png'),
                               **{'Accept-Language': 'zh-CN'})
    duplicate, failed = again.json()['results']
    assert (duplicate['status'], duplicate['character_id']) == ('duplicate', first['character_id'])
    assert failed['message'].startswith('这个文件是 Git LFS 指针')
    assert (await client.get('/api/v1/characters', headers=headers)).json()['total'] == 1


async def test_export_formats_and_headers(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    result = (await import_files(client, headers, upload('渚_汐风3.png'))).json()['results'][0]
    url = f'/api/v1/characters/{result["character_id"]}/export'

    png = await client.get(url, params={'format': 'png'}, headers=headers)
    assert png.status_code == 200 and png.headers['content-type'] == 'image/png'
    assert png.headers['content-disposition'] == \
        f'attachment; filename="_ __.png"; filename*=UTF-8\'\'{quote("渚 汐风.png", safe="")}'
    reimport = await client.post(IMPORT, files=[('files', ('back.png', png.content, 'image/png'))], headers=headers)
    assert reimport.json()['results'][0]['status'] == 'duplicate'

    for spec, label in (('v2', 'chara_card_v2'), ('v3', 'chara_card_v3')):
        exported = await client.get(url, params={'format': 'json', 'spec': spec}, headers=headers)
        assert exported.headers['content-type'] == 'application/json'
        assert exported.headers['content-disposition'].endswith(quote('渚 汐风.json', safe=''))
        document = exported.json()
        assert (document['spec'], document['name'], len(document['data']['character_book']['entries'])) == \
            (label, '渚 汐风', 7)

    charx = await client.get(url, params={'format': 'charx'}, headers=headers)
    assert charx.headers['content-type'] == 'application/zip'
    with zipfile.ZipFile(io.BytesIO(charx.content)) as archive:
        assert json.loads(archive.read('card.json'))['data']['name'] == '渚 汐风'
        assert 'assets/icon/image/main.png' in archive.namelist()

    assert (await client.get(url, params={'format': 'docx'}, headers=headers)).status_code == 422


async def test_another_users_character_cannot_be_exported(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login()
    result = (await import_files(client, alice, upload('Shodan_v2.png'))).json()['results'][0]
    bob = await login('bob')
    response = await client.get(f'/api/v1/characters/{result["character_id"]}/export', headers=bob)
    assert response.status_code == 404 and response.json()['code'] == 'error.character.not_found'
    client.cookies.clear()
    assert (await client.get(f'/api/v1/characters/{result["character_id"]}/export')).status_code == 401
    assert (await client.post(IMPORT, files=upload('Shodan_v2.png'))).status_code == 401


async def test_size_limits_and_an_empty_form(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    services.card_import.limits = CardFileLimits(max_file_bytes=1000, max_request_bytes=100_000)
    small, big = b'{"name": "Tiny"}', b'{"name": "Big", "description": "' + b'x' * 2000 + b'"}'
    response = await import_files(client, headers, [('files', ('tiny.json', small, 'application/json')),
                                                     ('files', ('big.json', big, 'application/json'))])
    assert [(result['status'], result['code']) for result in response.json()['results']] == \
        [('imported', None), ('failed', 'error.card.too_large')]
    huge = await import_files(client, headers, [('files', ('huge.json', b'x' * 200_000, 'application/json'))])
    assert huge.status_code == 413 and huge.json()['code'] == 'error.card.request_too_large'
    empty = await client.post(IMPORT, data={'note': 'no files'}, headers=headers)
    assert empty.status_code == 422 and empty.json()['code'] == 'error.card.missing_files'


async def test_openapi_documents_import_and_export(client: httpx.AsyncClient) -> None:
    paths = (await client.get('/openapi.json')).json()['paths']
    body = paths[IMPORT]['post']['requestBody']['content']['multipart/form-data']['schema']
    assert body['properties']['files']['type'] == 'array'
    export = paths['/api/v1/characters/{character_id}/export']['get']
    assert {parameter['name'] for parameter in export['parameters']} >= {'format', 'spec'}
    assert set(export['responses']['200']['content']) >= {'image/png', 'application/json', 'application/zip'}
