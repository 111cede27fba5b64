"""Reply suggestions in a real browser: the plugin, copied into the server's local plugin folder, adds its button to
the chat toolbar; the user asks for suggestions, picks one, edits it in the message box and sends it, and the
character answers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.actions import register
from tests.e2e.conftest import CHROMIUM_ARGS, UI_TIMEOUT_MS, _run_server
from tests.first_party_plugins.first_party_checks import PLUGINS_DIR
from tests.support.fake_openai import FakeOpenAI, Script
from tests.support.services_required import require_chromium

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope='module')
def browser() -> Iterator[Browser]:
    """Chromium for this module only, closed at its end (an open sync Playwright would disturb the asyncio tests
    that follow in this package)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={'width': 1280, 'height': 800}, locale='en-US')
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def plugin_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The app with the reply suggestions plugin in its local plugin folder."""
    local = tmp_path / 'data' / 'plugins' / 'local'
    shutil.copytree(PLUGINS_DIR / 'reply_suggestions' / 'reply_suggestions', local / 'reply_suggestions',
                    ignore=shutil.ignore_patterns('__pycache__'))
    yield from _run_server(request, tmp_path, {'DATABASE_URL': '', 'REDIS_URL': '', 'TAVERN_LOCAL_PLUGINS': 'true'})


def test_a_suggested_reply_is_picked_edited_and_sent(page: Page, plugin_server: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['1. Lead the way!\n', '2. What was that noise?\n', '3. I draw my sword.'])
    fake_openai.requests.clear()
    base = plugin_server
    register(page, base, 'alice')
    page.request.post(f'{base}/api/v1/connections', data={'name': 'Fake', 'provider': 'openai', 'model': 'fake-model',
                                                          'base_url': fake_openai.base_url, 'is_default': True})
    character = page.request.post(f'{base}/api/v1/characters',
                                  data={'name': 'Mira', 'first_mes': 'Something moves in the dark.'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Something moves in the dark.')).to_be_visible()

    page.get_by_role('button', name='Suggest replies').click()
    expect(page.get_by_text('Lead the way!')).to_be_visible()
    expect(page.get_by_text('I draw my sword.')).to_be_visible()
    assert 'Something moves in the dark.' in fake_openai.requests[-1]['messages'][0]['content']

    page.get_by_text('What was that noise?').click()
    box = page.get_by_placeholder('Write a message')
    expect(box).to_have_value('What was that noise?')
    expect(page.get_by_text('Lead the way!')).to_be_hidden()

    fake_openai.script = Script(tokens=['Just', ' the', ' wind.'])
    box.fill('What was that noise? Stay close.')
    page.keyboard.press('Enter')
    expect(page.get_by_text('What was that noise? Stay close.')).to_be_visible()
    expect(page.get_by_text('Just the wind.')).to_be_visible()
