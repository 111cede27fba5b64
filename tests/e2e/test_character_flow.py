"""The character library end to end on PostgreSQL and Redis: create a character with a picture, find it, keep it,
and make sure nobody else can see it, neither in the browser nor through the REST API."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from .actions import PASSWORD, log_in, log_out, register

pytestmark = pytest.mark.e2e

NAME = 'Captain Ilse Brandt'
SAMPLE_NAME = 'Maren Holloway'


def test_a_character_is_created_found_kept_and_private(page: Page, live_server_pg_redis: str) -> None:
    base = live_server_pg_redis
    register(page, base, 'alice')
    log_out(page, base, 'alice')
    log_in(page, base, 'alice')

    _add_first_sample(page)
    character_id = _create_character(page, base)
    _check_avatar_is_stored(page, base, character_id)

    page.goto(f'{base}/')
    expect(_tile(page, SAMPLE_NAME)).to_be_visible()
    page.get_by_placeholder('Search by name or tag').fill('ilse')
    expect(_tile(page, NAME)).to_be_visible()
    expect(_tile(page, SAMPLE_NAME)).to_have_count(0)

    page.reload()
    expect(_tile(page, NAME)).to_be_visible()
    expect(_tile(page, SAMPLE_NAME)).to_be_visible()

    log_out(page, base, 'alice')
    register(page, base, 'bob')
    expect(page.get_by_text('Your library is empty')).to_be_visible()
    expect(_tile(page, NAME)).to_have_count(0)
    page.goto(f'{base}/characters/{character_id}')
    expect(page.get_by_text('This character does not exist, or it is not in your library.')).to_be_visible()
    expect(page.get_by_label('Name', exact=True)).to_have_count(0)

    _check_api_privacy(base, character_id)


def _add_first_sample(page: Page) -> None:
    expect(page.get_by_text('Your library is empty')).to_be_visible()
    page.get_by_role('button', name='Add to my library').first.click()
    expect(page.get_by_text(f'{SAMPLE_NAME} is now in your library.')).to_be_visible()
    expect(_tile(page, SAMPLE_NAME)).to_be_visible()


def _create_character(page: Page, base: str) -> str:
    """Fill in the editor for a new character with a picture, save it, and return its id from the address."""
    page.get_by_role('button', name='New character').click()
    expect(page).to_have_url(f'{base}/characters/new')
    page.get_by_label('Name', exact=True).fill(NAME)
    page.get_by_label('Description', exact=True).fill('A retired airship captain who trades in rumours.')
    page.get_by_label('First message', exact=True).fill('Mind the gangway, traveller.')
    page.locator('input[type=file]').set_input_files(
        files=[{'name': 'ilse.png', 'mimeType': 'image/png', 'buffer': _png()}])
    expect(page.locator('img[src^="data:image/png"]')).to_be_visible()
    page.get_by_role('button', name='Save').first.click()
    expect(page).to_have_url(re.compile(rf'{re.escape(base)}/characters/(?!new)[0-9a-f]+$'))
    expect(page.get_by_label('Name', exact=True)).to_have_value(NAME)
    return page.url.rsplit('/', 1)[1]


def _check_avatar_is_stored(page: Page, base: str, character_id: str) -> None:
    character = page.request.get(f'{base}/api/v1/characters/{character_id}')
    assert character.ok, character.text()
    body = character.json()
    assert body['name'] == NAME
    assert body['avatar_url']
    picture = page.request.get(base + body['avatar_url'])
    assert picture.ok
    assert picture.headers['content-type'].startswith('image/')
    expect(page.locator(f'img[src="{body["avatar_url"]}"]')).to_be_visible()


def _check_api_privacy(base: str, character_id: str) -> None:
    """Through the REST API the character is the owner's and nobody else's."""
    with httpx.Client(base_url=base) as client:
        owner, other = (_bearer_headers(client, handle) for handle in ('alice', 'bob'))
        assert client.get(f'/api/v1/characters/{character_id}', headers=owner).status_code == 200
        assert client.get(f'/api/v1/characters/{character_id}', headers=other).status_code == 404
        listing = client.get('/api/v1/characters', headers=other)
        assert listing.status_code == 200
        assert character_id not in {item['id'] for item in listing.json()['items']}
        found = client.get('/api/v1/characters', params={'text': 'ilse'}, headers=other)
        assert found.json() == {'items': [], 'total': 0}


def _bearer_headers(client: httpx.Client, handle: str) -> dict[str, str]:
    response = client.post('/api/v1/auth/login', json={'username': handle, 'password': PASSWORD})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


def _tile(page: Page, name: str) -> Locator:
    """A library tile, found by its links: both its picture and its name link to the character."""
    return page.get_by_role('link', name=name, exact=True).first


def _png() -> bytes:
    """A real 96x96 PNG: a sky gradient with a dark square."""
    image = Image.new('RGB', (96, 96))
    image.putdata([(x * 2, 120 + y, 220 - x) for y in range(96) for x in range(96)])
    image.paste((30, 30, 60), (32, 32, 64, 64))
    buffer = io.BytesIO()
    image.save(buffer, format='PNG')
    return buffer.getvalue()
