"""Migrating from SillyTavern in a real browser: from Settings to the migration page, upload a zip of a SillyTavern
folder, watch the progress finish, read the report, and find an imported character in the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.sillytavern_folder import build_user_folder, zip_folder

from .actions import register

pytestmark = pytest.mark.e2e


def test_upload_a_sillytavern_zip_and_find_the_characters(page: Page, live_server: str, tmp_path: Path) -> None:
    base = live_server
    register(page, base, 'alice')
    page.goto(f'{base}/settings')
    page.get_by_role('button', name='Migrate from SillyTavern').click()
    expect(page).to_have_url(f'{base}/migration')

    data = zip_folder(build_user_folder(tmp_path / 'st'), 'default-user')
    page.locator('input[type=file]').set_input_files(
        files=[{'name': 'SillyTavern.zip', 'mimeType': 'application/zip', 'buffer': data}])

    expect(page.get_by_text('Migration finished')).to_be_visible()
    assert '/migration?job=' in page.url
    expect(page.get_by_text('Characters: 5 imported, 0 already here, 1 failed')).to_be_visible()
    expect(page.get_by_text('Chats: 3 imported, 0 already here, 2 failed')).to_be_visible()
    report = page.locator('.q-table')
    mari = report.get_by_role('row').filter(has_text='characters/Professor Mari.png')
    expect(mari).to_contain_text('Failed')
    expect(mari).to_contain_text('This file is a Git LFS pointer, not the card itself.')
    expect(report.get_by_role('row').filter(has_text='characters/Seraphina.png')).to_contain_text('Imported')

    page.get_by_role('link', name='Go to your character library').click()
    expect(page).to_have_url(f'{base}/')
    expect(page.get_by_role('link', name='Seraphina', exact=True).first).to_be_visible()
    expect(page.get_by_role('link', name='魔都诡事', exact=True).first).to_be_visible()
