"""Presets in a real browser: import Marinara's Special from the presets page, open its prompt manager, switch one
block off and move another up, save, find both changes again after a reload, and export the preset to check the
downloaded SillyTavern JSON carries them and nothing else changed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.compat import COMPAT_DIR

from .actions import register

pytestmark = pytest.mark.e2e

FILE_NAME = "Marinara's Special.json"
MARINARA = COMPAT_DIR / 'community' / 'presets' / 'Marinaras_Special.json'
SWITCHED_OFF = 'Instructions'
MOVED_UP, MOVED_PAST = 'Persona (Custom)', 'Personality (Custom)'
GLOBAL_ORDER = 100001


def _global_order(preset: dict) -> list[dict]:
    (order,) = [entry['order'] for entry in preset['prompt_order'] if entry['character_id'] == GLOBAL_ORDER]
    return order


ORIGINAL = json.loads(MARINARA.read_text(encoding='utf-8'))
NAMES = {prompt['identifier']: prompt['name'] for prompt in ORIGINAL['prompts']}
MOVED_FROM = [NAMES[item['identifier']] for item in _global_order(ORIGINAL)].index(MOVED_UP)


def test_import_edit_keep_and_export_a_prompt_manager(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    page.get_by_role('button', name='Presets').click()
    expect(page).to_have_url(f'{base}/presets')
    expect(page.get_by_text('No presets yet')).to_be_visible()

    page.get_by_role('button', name='Import', exact=True).click()
    page.locator('.q-dialog input[type=file]').set_input_files(
        files=[{'name': FILE_NAME, 'mimeType': 'application/json', 'buffer': MARINARA.read_bytes()}])
    expect(page.get_by_text("Imported as Marinara's Special (Chat completion).")).to_be_visible()
    page.get_by_role('button', name='Close').click()

    page.get_by_role('button', name="Marinara's Special", exact=True).click()
    expect(page.get_by_text('Prompt manager', exact=True)).to_be_visible()
    expect(_block(page, SWITCHED_OFF).get_by_role('switch')).to_have_attribute('aria-checked', 'true')
    _block(page, SWITCHED_OFF).get_by_role('switch').click()
    expect(_block(page, SWITCHED_OFF).get_by_role('switch')).to_have_attribute('aria-checked', 'false')
    expect(_blocks(page).nth(MOVED_FROM)).to_contain_text(MOVED_UP)
    _block(page, MOVED_UP).get_by_role('button', name='Move up').click()
    expect(_blocks(page).nth(MOVED_FROM - 1)).to_contain_text(MOVED_UP)
    expect(_blocks(page).nth(MOVED_FROM)).to_contain_text(MOVED_PAST)
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Prompt manager saved.')).to_be_visible()

    page.reload()
    expect(page.get_by_text('Prompt manager', exact=True)).to_be_visible()
    expect(_block(page, SWITCHED_OFF).get_by_role('switch')).to_have_attribute('aria-checked', 'false')
    expect(_blocks(page).nth(MOVED_FROM - 1)).to_contain_text(MOVED_UP)
    expect(_blocks(page).nth(MOVED_FROM)).to_contain_text(MOVED_PAST)

    with page.expect_download() as download_info:
        page.get_by_role('button', name='Export').click()
    download = download_info.value
    assert download.suggested_filename == FILE_NAME
    _check_export(json.loads(download.path().read_text(encoding='utf-8')))


def _blocks(page: Page) -> Locator:
    """The prompt manager's block cards (cards inside the preset's card), in their order."""
    return page.locator('.q-card .q-card')


def _block(page: Page, name: str) -> Locator:
    return _blocks(page).filter(has=page.get_by_text(name, exact=True))


def _check_export(exported: dict) -> None:
    """Only the global order changed: one block switched off, one moved up by one place."""
    assert {key: value for key, value in exported.items() if key != 'prompt_order'} == \
        {key: value for key, value in ORIGINAL.items() if key != 'prompt_order'}
    before, after = _global_order(ORIGINAL), _global_order(exported)
    order = [NAMES[item['identifier']] for item in after]
    assert order.index(MOVED_UP) == MOVED_FROM - 1 and order.index(MOVED_PAST) == MOVED_FROM
    assert sorted(order) == sorted(NAMES[item['identifier']] for item in before)
    assert {NAMES[item['identifier']]: item['enabled'] for item in after} == \
        {**{NAMES[item['identifier']]: item['enabled'] for item in before}, SWITCHED_OFF: False}
    assert [entry for entry in exported['prompt_order'] if entry['character_id'] != GLOBAL_ORDER] == \
        [entry for entry in ORIGINAL['prompt_order'] if entry['character_id'] != GLOBAL_ORDER]
