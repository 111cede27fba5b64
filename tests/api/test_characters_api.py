from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from app.services.container import Services
from tests.support.images import image_bytes, png_bomb, png_bytes

Login = Callable[..., Awaitable[dict[str, str]]]
CACHE_FOREVER = 'public, max-age=31536000, immutable'


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: object) -> dict:
    response = await client.post('/api/v1/characters', json={'name': 'Maren', **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(client: httpx.AsyncClient, headers: dict[str, str], character_id: str,
                 content: bytes | AsyncIterator[bytes], content_type: str = 'image/png') -> httpx.Response:
    return await client.put(f'/api/v1/characters/{character_id}/avatar', content=content,
                            headers={**headers, 'Content-Type': content_type})


async def test_login_gives_bearer_and_cookie_access(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login('alice')
    by_cookie = await client.get('/api/v1/me')
    assert by_cookie.status_code == 200 and by_cookie.json()['handle'] == 'alice'
    client.cookies.clear()
    assert (await client.get('/api/v1/me')).status_code == 401
    by_bearer = await client.get('/api/v1/me', headers=headers)
    assert by_bearer.status_code == 200 and by_bearer.json()['handle'] == 'alice'
    assert (await client.get('/api/v1/me', headers={'Authorization': 'Bearer wrong'})).status_code == 401


async def test_unauthenticated_requests_get_401(client: httpx.AsyncClient) -> None:
    requests = [client.get('/api/v1/characters'), client.post('/api/v1/characters', json={'name': 'x'}),
                client.get('/api/v1/characters/tags'), client.get('/api/v1/characters/samples'),
                client.get('/api/v1/characters/abc'), client.put('/api/v1/characters/abc/avatar', content=b'x')]
    for request in requests:
        response = await request
        assert response.status_code == 401 and response.json()['code'] == 'error.auth.required'


async def test_crud(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    created = await create(client, headers, description='Keeper of the light', tags=['Sea', 'sea', 'Mystery'],
                           alternate_greetings=['Ahoy.'])
    assert created['fields']['tags'] == created['tags'] == ['Sea', 'Mystery']
    assert created['card']['spec'] == 'chara_card_v3' and created['card']['data']['alternate_greetings'] == ['Ahoy.']
    assert (created['avatar_url'], created['thumbnail_url'], created['favorite']) == (None, None, False)
    url = f'/api/v1/characters/{created["id"]}'

    assert (await client.get(url, headers=headers)).json() == created
    patched = await client.patch(url, json={'personality': 'Dry', 'favorite': True}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert body['favorite'] is True
    assert (body['fields']['personality'], body['fields']['description']) == ('Dry', 'Keeper of the light')
    page = (await client.get('/api/v1/characters', params={'favorites_only': True}, headers=headers)).json()
    assert page['total'] == 1 and page['items'][0]['id'] == created['id']
    assert (await client.get('/api/v1/characters/tags', headers=headers)).json() == ['mystery', 'sea']

    assert (await client.delete(url, headers=headers)).status_code == 204
    missing = await client.get(url, headers=headers)
    assert missing.status_code == 404 and missing.json()['code'] == 'error.character.not_found'
    assert (await client.get('/api/v1/characters', headers=headers)).json() == {'items': [], 'total': 0}


async def test_search_parameters(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    for name, tags in (('Maren', ['Sea']), ('Vega', ['Sci-Fi']), ('Marlow', [])):
        await create(client, headers, name=name, tags=tags)

    async def names(**params: object) -> list[str]:
        response = await client.get('/api/v1/characters', params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item['name'] for item in response.json()['items']]

    assert await names(text='mar', sort='name') == ['Maren', 'Marlow']
    assert await names(tag='SCI-FI') == ['Vega']
    assert await names(sort='name', offset=1, limit=1) == ['Marlow']
    for params in ({'limit': 500}, {'sort': 'popular'}, {'offset': -1}):
        assert (await client.get('/api/v1/characters', params=params, headers=headers)).status_code == 422


async def test_invalid_fields_get_422(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    for body in ({'name': '   '}, {'name': 'x' * 201}, {'name': 'x', 'tags': [f't{i}' for i in range(51)]}, {}):
        assert (await client.post('/api/v1/characters', json=body, headers=headers)).status_code == 422


async def test_avatar_upload_and_media_routes(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    character = await create(client, headers)
    data = png_bytes((600, 300))
    response = await upload(client, headers, character['id'], data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['avatar_url'].startswith('/media/avatars/') and body['thumbnail_url'].endswith('.webp')

    client.cookies.clear()
    avatar = await client.get(body['avatar_url'])
    assert avatar.status_code == 200 and avatar.content == data
    assert avatar.headers['content-type'] == 'image/png'
    assert avatar.headers['cache-control'] == CACHE_FOREVER
    thumbnail = await client.get(body['thumbnail_url'])
    assert thumbnail.status_code == 200 and thumbnail.headers['content-type'] == 'image/webp'
    assert thumbnail.headers['cache-control'] == CACHE_FOREVER and thumbnail.content[8:12] == b'WEBP'
    listed = (await client.get('/api/v1/characters', headers=headers)).json()['items'][0]
    assert listed['thumbnail_url'] == body['thumbnail_url']


@pytest.mark.parametrize('path', ['/media/avatars/' + '0' * 64, '/media/thumbs/' + '0' * 64 + '.webp',
                                  '/media/avatars/..%2F..%2Fsecret_key', '/media/avatars/' + 'A' * 64,
                                  '/media/thumbs/..%2Fx.webp', '/media/avatars/%2Fetc%2Fpasswd'])
async def test_unknown_or_invalid_media_is_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_bad_avatars_are_refused(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    character_id = (await create(client, headers))['id']
    services.media.max_bytes = 4096

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b'\x00' * 1000

    cases = [(b'not an image', 422, 'error.media.not_an_image'),
             (image_bytes('GIF'), 422, 'error.media.unsupported_format'),
             (png_bomb(), 422, 'error.media.too_many_pixels'),
             (png_bytes()[:60], 422, 'error.media.broken_image'),
             (b'\x89PNG' + b'\x00' * 5000, 413, 'error.media.too_large'),
             (chunks(), 413, 'error.media.too_large')]
    for content, status, code in cases:
        response = await upload(client, headers, character_id, content)
        assert (response.status_code, response.json()['code']) == (status, code)
    chinese = await upload(client, {**headers, 'Accept-Language': 'zh-CN'}, character_id, b'plain text')
    assert chinese.json()['detail'] == '\u8fd9\u4e2a\u6587\u4ef6\u4e0d\u662f\u56fe\u7247\u3002'
    assert (await client.get(f'/api/v1/characters/{character_id}', headers=headers)).json()['avatar_url'] is None


async def test_other_users_character_is_404_without_data(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login('alice')
    character = await create(client, alice, name='Secret Maren', description='private notes')
    bob = await login('bob')
    client.cookies.clear()
    url = f'/api/v1/characters/{character["id"]}'
    responses = [await client.get(url, headers=bob),
                 await client.patch(url, json={'name': 'Stolen', 'favorite': True}, headers=bob),
                 await client.delete(url, headers=bob),
                 await upload(client, bob, character['id'], png_bytes())]
    for response in responses:
        assert response.status_code == 404
        assert response.json() == {'detail': 'No such character.', 'code': 'error.character.not_found'}
    assert (await client.get('/api/v1/characters', headers=bob)).json()['total'] == 0
    unchanged = (await client.get(url, headers=alice)).json()
    assert (unchanged['name'], unchanged['favorite'], unchanged['avatar_url']) == ('Secret Maren', False, None)


async def test_samples(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    samples = (await client.get('/api/v1/characters/samples', headers=headers)).json()
    assert len(samples) >= 3 and 'zh-CN' in {sample['locale'] for sample in samples}
    added = await client.post(f'/api/v1/characters/samples/{samples[0]["slug"]}', headers=headers)
    assert added.status_code == 201 and added.json()['name'] == samples[0]['name']
    assert (await client.get(added.json()['avatar_url'])).status_code == 200
    assert (await client.post('/api/v1/characters/samples/nope', headers=headers)).status_code == 404
