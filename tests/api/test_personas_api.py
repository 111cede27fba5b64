from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from app.services.container import Services
from tests.support.images import image_bytes, png_bomb, png_bytes

Login = Callable[..., Awaitable[dict[str, str]]]


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: object) -> dict:
    response = await client.post('/api/v1/personas', json={'name': 'Ash', **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(client: httpx.AsyncClient, headers: dict[str, str], persona_id: str,
                 content: bytes | AsyncIterator[bytes], content_type: str = 'image/png') -> httpx.Response:
    return await client.put(f'/api/v1/personas/{persona_id}/avatar', content=content,
                            headers={**headers, 'Content-Type': content_type})


async def test_unauthenticated_requests_get_401(client: httpx.AsyncClient) -> None:
    requests = [client.get('/api/v1/personas'), client.post('/api/v1/personas', json={'name': 'x'}),
                client.get('/api/v1/personas/abc'), client.patch('/api/v1/personas/abc', json={}),
                client.delete('/api/v1/personas/abc'), client.put('/api/v1/personas/abc/avatar', content=b'x')]
    for request in requests:
        response = await request
        assert response.status_code == 401 and response.json()['code'] == 'error.auth.required'


async def test_persona_crud_and_one_default(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    zoe = await create(client, headers, name='Zoe', description='A night-shift nurse.', is_default=True)
    assert (zoe['name'], zoe['description'], zoe['is_default']) == ('Zoe', 'A night-shift nurse.', True)
    assert (zoe['avatar_url'], zoe['thumbnail_url']) == (None, None)
    ash = await create(client, headers)
    url = f'/api/v1/personas/{ash["id"]}'
    assert (await client.get(url, headers=headers)).json() == ash

    patched = await client.patch(url, json={'description': 'Plays the lute.', 'is_default': True}, headers=headers)
    assert patched.status_code == 200
    assert (patched.json()['name'], patched.json()['description']) == ('Ash', 'Plays the lute.')
    listed = (await client.get('/api/v1/personas', headers=headers)).json()
    assert [(p['name'], p['is_default']) for p in listed] == [('Ash', True), ('Zoe', False)]

    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404
    assert [p['name'] for p in (await client.get('/api/v1/personas', headers=headers)).json()] == ['Zoe']


async def test_invalid_fields_get_422(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    for body in ({'name': '   '}, {'name': 'x' * 201}, {'name': 'x', 'description': 'x' * 20_001}, {}):
        assert (await client.post('/api/v1/personas', json=body, headers=headers)).status_code == 422
    persona = await create(client, headers)
    response = await client.patch(f'/api/v1/personas/{persona["id"]}', json={'name': ''}, headers=headers)
    assert response.status_code == 422


async def test_avatar_upload_is_served(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    persona = await create(client, headers)
    data = png_bytes((300, 200))
    response = await upload(client, headers, persona['id'], data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['avatar_url'].startswith('/media/avatars/') and body['thumbnail_url'].endswith('.webp')
    assert (await client.get(body['avatar_url'])).content == data
    thumbnail = await client.get(body['thumbnail_url'])
    assert thumbnail.status_code == 200 and thumbnail.headers['content-type'] == 'image/webp'


async def test_bad_avatars_get_413_or_422(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    persona_id = (await create(client, headers))['id']
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
        response = await upload(client, headers, persona_id, content)
        assert (response.status_code, response.json()['code']) == (status, code)
    assert (await client.get(f'/api/v1/personas/{persona_id}', headers=headers)).json()['avatar_url'] is None


async def test_other_users_persona_is_404(client: httpx.AsyncClient, login: Login) -> None:
    alice = await login('alice')
    persona = await create(client, alice, name='Secret Ash', description='private', is_default=True)
    bob = await login('bob')
    client.cookies.clear()
    url = f'/api/v1/personas/{persona["id"]}'
    responses = [await client.get(url, headers=bob),
                 await client.patch(url, json={'name': 'Stolen', 'is_default': False}, headers=bob),
                 await client.delete(url, headers=bob),
                 await upload(client, bob, persona['id'], png_bytes())]
    for response in responses:
        assert response.status_code == 404
        assert response.json() == {'detail': 'No such persona.', 'code': 'error.persona.not_found'}
    assert (await client.get('/api/v1/personas', headers=bob)).json() == []
    assert (await client.get(url, headers=alice)).json() == persona


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()
    paths = {path: schema['paths'][path] for path in ('/api/v1/personas', '/api/v1/personas/{persona_id}',
                                                      '/api/v1/personas/{persona_id}/avatar')}
    operations = [operation for path in paths.values() for operation in path.values()]
    assert len(operations) == 6 and all(operation['tags'] == ['personas'] for operation in operations)
    assert 'image/png' in paths['/api/v1/personas/{persona_id}/avatar']['put']['requestBody']['content']
