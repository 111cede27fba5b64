"""Character cards end to end in a real browser: import a PNG card and a JSON card through the library page, find
them in the library, export one as PNG from the editor, and check that the downloaded file imports again."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.compat_cards import card

from .actions import PASSWORD, log_out, register

pytestmark = pytest.mark.e2e

SERAPHINA = card('default_Seraphina.png')
LUNA = card('test-card.json')


def test_import_cards_then_export_one_and_import_it_again(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    _import(page, [('default_Seraphina.png', 'image/png', SERAPHINA.data()),
                   ('test-card.json', 'application/json', LUNA.data())])
    expect(page.get_by_text('2 imported, 0 already in your library, 0 failed.')).to_be_visible()
    expect(page.get_by_text('Imported as Seraphina.')).to_be_visible()
    page.get_by_role('button', name='Close').click()
    expect(_tile(page, 'Seraphina')).to_be_visible()
    expect(_tile(page, 'Luna Starweaver')).to_be_visible()

    _tile(page, 'Seraphina').click()
    expect(page.get_by_label('Name', exact=True)).to_have_value('Seraphina')
    page.get_by_role('button', name='Export').click()
    with page.expect_download() as download_info:
        page.get_by_text('PNG card (SillyTavern)').click()
    download = download_info.value
    assert download.suggested_filename == 'Seraphina.png'
    exported = download.path().read_bytes()
    assert exported.startswith(b'\x89PNG')

    page.goto(f'{base}/')
    _import(page, [('Seraphina.png', 'image/png', exported)])
    expect(page.get_by_text('Already in your library as Seraphina; skipped.')).to_be_visible()
    page.get_by_role('button', name='Close').click()
    log_out(page, base, 'alice')
    register(page, base, 'bob')
    _check_import_for_another_user(base, exported)


def _import(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    page.get_by_role('button', name='Import', exact=True).click()
    expect(page.get_by_text('Import characters')).to_be_visible()
    page.locator('.q-dialog input[type=file]').set_input_files(
        files=[{'name': name, 'mimeType': mime, 'buffer': data} for name, mime, data in files])


def _check_import_for_another_user(base: str, exported: bytes) -> None:
    """The downloaded card is a complete card: a fresh account imports it with its lorebook and picture."""
    with httpx.Client(base_url=base) as client:
        token = client.post('/api/v1/auth/login', json={'username': 'bob', 'password': PASSWORD})
        headers = {'Authorization': f'Bearer {token.json()["access_token"]}'}
        report = client.post('/api/v1/characters/import', headers=headers,
                             files=[('files', ('Seraphina.png', exported, 'image/png'))]).json()
        (result,) = report['results']
        assert (result['status'], result['name']) == ('imported', 'Seraphina')
        character = client.get(f'/api/v1/characters/{result["character_id"]}', headers=headers).json()
        assert len(character['card']['data']['character_book']['entries']) == 4
        assert character['avatar_url']


def _tile(page: Page, name: str) -> Locator:
    return page.get_by_role('link', name=name, exact=True).first
