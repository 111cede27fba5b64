"""Lorebooks in a real browser: import a SillyTavern World Info file on the lorebooks page, open it, find an entry
with the search box, change its keywords and put it at depth 2, save, see the change after a reload, and export the
book: the downloaded file holds the change and everything else as it was."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.compat import COMPAT_DIR

from .actions import register

pytestmark = pytest.mark.e2e

TAROT = COMPAT_DIR / 'community/worlds/塔罗牌v1.3.0.json'
BOOK = '塔罗牌v1.3.0'
TITLE = '{{char}}进行洗牌和切牌'
UID = '2'


def test_import_search_edit_and_export_a_lorebook(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    page.get_by_role('button', name='Lorebooks').click()
    expect(page).to_have_url(f'{base}/lorebooks')
    page.get_by_role('button', name='Import', exact=True).click()
    page.locator('.q-dialog input[type=file]').set_input_files(
        files=[{'name': TAROT.name, 'mimeType': 'application/json', 'buffer': TAROT.read_bytes()}])
    expect(page.get_by_text('1 imported, 0 failed.')).to_be_visible()
    expect(page.get_by_text(f'Imported as {BOOK} with 9 entries.')).to_be_visible()
    page.get_by_role('button', name='Close').click()
    expect(page.get_by_text('9 entries', exact=True)).to_be_visible()

    page.get_by_role('link', name=BOOK, exact=True).click()
    expect(page.get_by_text('9 entries', exact=True)).to_be_visible()
    entry = _find_entry(page)
    entry.locator('.q-chip').filter(has_text='切牌').locator('.q-chip__icon--remove').click()
    keywords = entry.get_by_label('Keywords', exact=True)
    keywords.fill('shuffle')
    keywords.press('Enter')
    expect(entry.locator('.q-chip').filter(has_text='shuffle')).to_be_visible()
    entry.get_by_label('Position', exact=True).click()
    page.get_by_role('option', name='@ depth in chat').click()
    entry.get_by_label('Depth', exact=True).fill('2')
    entry.get_by_role('button', name='Save entry').click()
    expect(page.get_by_text('Entry saved.')).to_be_visible()

    page.reload()
    entry = _find_entry(page)
    expect(entry.locator('.q-chip').filter(has_text='shuffle')).to_be_visible()
    expect(entry.locator('.q-chip').filter(has_text='切牌')).to_have_count(0)
    expect(entry.get_by_label('Depth', exact=True)).to_have_value('2')
    expect(entry.get_by_text('@ depth in chat').first).to_be_visible()

    page.get_by_role('button', name='Export').click()
    with page.expect_download() as download_info:
        page.get_by_text('SillyTavern World Info (JSON)').click()
    download = download_info.value
    assert download.suggested_filename == TAROT.name
    exported = json.loads(download.path().read_bytes())
    original = json.loads(TAROT.read_bytes())
    assert exported['entries'][UID] == {**original['entries'][UID], 'key': ['洗牌', 'shuffle'], 'position': 4,
                                        'depth': 2}
    assert {uid: item for uid, item in exported['entries'].items() if uid != UID} == \
        {uid: item for uid, item in original['entries'].items() if uid != UID}


def _find_entry(page: Page) -> Locator:
    """Search for the entry, open it, and return its expansion (header and form)."""
    page.get_by_placeholder('Search keys, titles and content').fill('洗牌和切牌')
    expect(page.get_by_text('1 entries', exact=True)).to_be_visible()
    entry = page.locator('.q-expansion-item').filter(has_text=TITLE)
    entry.get_by_text(TITLE, exact=True).click()
    expect(entry.get_by_label('Keywords', exact=True)).to_be_visible()
    return entry
