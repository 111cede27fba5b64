"""Chat files in a real browser: import a community SillyTavern chat through the chat list panel, read it on the
chat page, export it as JSONL and check that the download imports again."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.support.compat_chats import compat_chat

from .actions import register

pytestmark = pytest.mark.e2e


def test_import_a_sillytavern_chat_read_it_and_export_it(page: Page, live_server: str) -> None:
    base, compat = live_server, compat_chat('Claude')
    register(page, base, 'alice')
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Claude', 'first_mes': 'Ahoy!'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Ahoy!')).to_be_visible()

    page.get_by_role('button', name='Chats').click()
    page.get_by_role('button', name='Import chat').click()
    page.locator('.q-uploader input[type=file]').set_input_files(compat.path)
    expect(page.get_by_text('Absolutely, Melissa.', exact=False)).to_be_visible()
    expect(page.get_by_text('Ahoy!')).to_have_count(0)

    page.get_by_role('button', name='Chats').click()
    title = compat.filename.removesuffix('.jsonl')
    expect(page.get_by_role('link', name=title)).to_be_visible()
    page.get_by_role('button', name='Export chat').first.click()
    with page.expect_download() as started:
        page.get_by_text('SillyTavern chat (.jsonl)').click()
    download = started.value
    assert download.suggested_filename == compat.filename
    data = download.path().read_bytes()
    assert [json.loads(line) for line in data.decode().split('\n')] == compat.objects()

    again = page.request.post(f'{base}/api/v1/chats/import', multipart={
        'file': {'name': download.suggested_filename, 'mimeType': 'application/jsonl', 'buffer': data}})
    assert again.status == 201 and again.json()['message_count'] == 10
    assert again.json()['character_id'] == character['id']
