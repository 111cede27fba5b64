"""Chatting in a real browser: the reply grows in visible steps, and a stopped reply is kept after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_openai import FakeOpenAI, Script

from .actions import register

pytestmark = pytest.mark.e2e


def _open_chat(page: Page, base: str, fake_openai: FakeOpenAI) -> None:
    """Register, add the model connection on the Connections page, test it, and open a chat with a new character."""
    register(page, base, 'alice')
    page.get_by_role('button', name='Connections').click()
    page.get_by_role('button', name='Add connection').click()
    page.get_by_label('Name').fill('Fake')
    page.get_by_label('Base URL').fill(fake_openai.base_url)
    page.get_by_label('Model').fill('fake-model')
    page.get_by_role('button', name='Save').click()
    page.get_by_role('button', name='Test').click()
    expect(page.get_by_text('models: fake-model')).to_be_visible()
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Ahoy!'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Ahoy!')).to_be_visible()


def test_the_reply_grows_while_it_streams(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=[f'step{i} ' for i in range(30)], delay=0.1)
    _open_chat(page, live_server, fake_openai)
    page.get_by_placeholder('Write a message').fill('Tell me a story')
    page.keyboard.press('Enter')
    expect(page.get_by_text('Tell me a story')).to_be_visible()
    streaming = page.locator('.whitespace-pre-wrap').last
    seen: list[str] = []
    for marker in ('step2 ', 'step10 ', 'step20 '):
        expect(streaming).to_contain_text(marker, timeout=10_000)
        seen.append(streaming.inner_text())
    assert len(seen[0]) < len(seen[1]) < len(seen[2])
    expect(page.get_by_text('step29', exact=False).last).to_be_visible(timeout=10_000)


def test_a_stopped_reply_is_kept_after_reload(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=[f'part{i} ' for i in range(200)], delay=0.05)
    _open_chat(page, live_server, fake_openai)
    page.get_by_placeholder('Write a message').fill('Go on')
    page.keyboard.press('Enter')
    expect(page.locator('.whitespace-pre-wrap').last).to_contain_text('part5 ', timeout=10_000)
    page.get_by_role('button', name='Stop').click()
    expect(page.get_by_text('stopped', exact=True)).to_be_visible(timeout=10_000)
    page.reload()
    expect(page.get_by_text('stopped', exact=True)).to_be_visible()
    expect(page.get_by_text('part5', exact=False).last).to_be_visible()
    expect(page.get_by_text('part199', exact=False)).to_have_count(0)
