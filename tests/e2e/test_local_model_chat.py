"""A fresh install chats in the browser with the bundled local model: no connection, no key, no network."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .actions import register

pytestmark = pytest.mark.e2e


def test_a_fresh_install_streams_a_reply_from_the_local_model(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    character = page.request.post(f'{live_server}/api/v1/characters', data={
        'name': 'Mira', 'description': 'Mira keeps a lighthouse and loves stories.', 'first_mes': 'Ahoy, traveller!'})
    page.goto(f'{live_server}/characters/{character.json()["id"]}/chat')
    expect(page.get_by_text('Ahoy, traveller!')).to_be_visible()
    page.get_by_placeholder('Write a message').fill('Hello! Tell me about your lighthouse.')
    page.keyboard.press('Enter')
    streaming = page.locator('.whitespace-pre-wrap').last
    expect(streaming).not_to_be_empty(timeout=30_000)
    expect(page.get_by_role('button', name='Send')).to_be_visible(timeout=60_000)
    chat_id = page.url.rsplit('/', 1)[1]
    messages = page.request.get(f'{live_server}/api/v1/chats/{chat_id}/messages').json()['items']
    reply = messages[-1]
    assert reply['role'] == 'assistant' and reply['status'] == 'complete' and reply['content'].strip()
    assert reply['meta']['completion_tokens'] > 0
    expect(page.locator('.whitespace-pre-wrap')).to_have_count(0)
