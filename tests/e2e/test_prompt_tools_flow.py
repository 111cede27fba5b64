"""The prompt tools in a real browser: with a SillyTavern preset active, a persona, a character lorebook and an
author's note set from the chat menu, a reply shows which lorebook entries it used and the prompt preview shows
the blocks in the preset's order with the note, the entries and the persona in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.compat import COMPAT_DIR
from tests.support.fake_openai import FakeOpenAI, Script

from .test_chat_flow import _open_chat

pytestmark = pytest.mark.e2e
ST_DEFAULT = COMPAT_DIR / 'sillytavern' / 'presets' / 'openai' / 'Default.json'


def _setup(page: Page, base: str) -> None:
    """Through the REST API the page's session cookie authorises: preset, persona, lorebook bound to Mira."""
    imported = page.request.post(f'{base}/api/v1/presets/import', multipart={'files': {
        'name': 'Default.json', 'mimeType': 'application/json', 'buffer': ST_DEFAULT.read_bytes()}}).json()
    preset_id = imported['results'][0]['preset_id']
    assert page.request.patch(f'{base}/api/v1/presets/{preset_id}', data={'is_active': True}).ok
    assert page.request.post(f'{base}/api/v1/personas', data={
        'name': 'Captain', 'description': '{{user}} commands the ship.', 'is_default': True}).ok
    book = page.request.post(f'{base}/api/v1/lorebooks', data={'name': 'Harbour'}).json()
    for entry in ({'comment': 'Fog', 'key': ['fog'], 'position': 1, 'content': 'Fog hides the reef.'},
                  {'comment': 'Reef', 'key': ['reef'], 'content': 'The reef sank three ships.'}):
        assert page.request.post(f'{base}/api/v1/lorebooks/{book["id"]}/entries', data=entry).ok
    character_id = page.request.get(f'{base}/api/v1/characters').json()['items'][0]['id']
    assert page.request.put(f'{base}/api/v1/lorebooks/bindings/characters/{character_id}',
                            data={'lorebook_ids': [book['id']]}).ok


def _menu(page: Page, item: str) -> None:
    page.get_by_role('button', name='More actions').click()
    page.locator('.q-menu').get_by_text(item, exact=True).click()


def test_note_fired_entries_and_prompt_preview(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Steady', ' as', ' she', ' goes.'])
    _open_chat(page, live_server, fake_openai)
    _setup(page, live_server)
    page.reload()

    _menu(page, "Author's note")
    dialog = page.locator('.q-dialog')
    dialog.get_by_label('Note').fill('Mira answers in one line.')
    dialog.get_by_role('button', name='Save').click()
    expect(page.get_by_text("Author's note saved")).to_be_visible()

    page.get_by_placeholder('Write a message').fill('Thick fog tonight.')
    page.keyboard.press('Enter')
    expect(page.get_by_text('Steady as she goes.')).to_be_visible()
    sent = [message['content'] for message in fake_openai.requests[-1]['messages']]
    assert sent[:2] == ["Write Mira's next reply in a fictional chat between Mira and Captain.",
                        'Captain commands the ship.']
    assert 'Fog hides the reef.' in sent and 'Mira answers in one line.' in sent
    assert 'The reef sank three ships.' not in sent

    page.get_by_role('button', name='Lorebook entries used (1)').click()
    fired = page.locator('.q-dialog')
    expect(fired.get_by_text('Harbour · Fog')).to_be_visible()
    expect(fired.get_by_text('key matched: fog')).to_be_visible()
    fired.get_by_role('button', name='Close').click()

    _menu(page, 'Prompt preview')
    preview = page.locator('.q-dialog')
    expect(preview.get_by_text('Prompt preview')).to_be_visible()
    expect(preview.get_by_text('Main prompt').first).to_be_visible()
    expect(preview.get_by_text("Author's note").first).to_be_visible()
    expect(preview.get_by_text('Fog hides the reef.')).to_be_visible()
    expect(preview.get_by_text('Steady as she goes.')).to_be_visible()
    expect(preview.get_by_text('Harbour · Fog')).to_be_visible()
