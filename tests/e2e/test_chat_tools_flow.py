"""More chat tools in a real browser: an Ollama connection picked by kind, impersonate, copy, branch, and the page
following a reply only while the reader is at the bottom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_ollama import FakeOllama, running_fake_ollama
from tests.support.fake_ollama import Script as OllamaScript

from .actions import register

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def fake_ollama() -> Iterator[FakeOllama]:
    with running_fake_ollama() as server:
        yield server


def _chat_through_ollama(page: Page, base: str, fake: FakeOllama) -> None:
    """Register, add an Ollama connection on the Connections page (kind picked from the list), open a chat."""
    register(page, base, 'alice')
    page.get_by_role('button', name='Connections').click()
    page.get_by_role('button', name='Add connection').click()
    page.get_by_label('Name').fill('Home Ollama')
    page.get_by_label('Kind of server').click()
    page.get_by_role('option', name='Ollama').click()
    expect(page.get_by_label('Base URL')).to_have_attribute('placeholder', 'http://127.0.0.1:11434')
    page.get_by_label('Base URL').fill(fake.base_url)
    page.get_by_label('Model').fill('llama3.2:latest')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Ollama · ')).to_be_visible()
    page.get_by_role('button', name='Test').click()
    expect(page.get_by_text('models: llama3.2:latest, mistral:7b')).to_be_visible()
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Ahoy!'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Ahoy!')).to_be_visible()


def _send(page: Page, text: str) -> None:
    page.get_by_placeholder('Write a message').fill(text)
    page.keyboard.press('Enter')


def test_ollama_chat_impersonate_copy_and_branch(page: Page, live_server: str, fake_ollama: FakeOllama) -> None:
    page.context.grant_permissions(['clipboard-read', 'clipboard-write'])
    fake_ollama.reset()
    _chat_through_ollama(page, live_server, fake_ollama)
    fake_ollama.script = OllamaScript(tokens=['I raise', ' my cup.'])
    page.get_by_role('button', name='More actions').click()
    page.get_by_text('Impersonate').click()
    expect(page.get_by_placeholder('Write a message')).to_have_value('I raise my cup.')
    fake_ollama.script = OllamaScript(tokens=['Cheers', ', friend.'])
    page.get_by_role('button', name='Send').click()
    expect(page.get_by_text('Cheers, friend.')).to_be_visible()
    assert fake_ollama.requests[-1]['model'] == 'llama3.2:latest'
    assert fake_ollama.requests[-1]['messages'][-1] == {'role': 'user', 'content': 'I raise my cup.'}

    page.locator('.q-card', has_text='Cheers, friend.').get_by_role('button', name='Copy text').click()
    expect(page.get_by_text('Copied')).to_be_visible()
    assert page.evaluate('navigator.clipboard.readText()') == 'Cheers, friend.'

    first_chat = page.url
    page.locator('.q-card', has_text='I raise my cup.') \
        .get_by_role('button', name='Branch: new chat up to here').click()
    expect(page).not_to_have_url(first_chat)
    expect(page.get_by_text('I raise my cup.')).to_be_visible()
    expect(page.get_by_text('Cheers, friend.')).to_have_count(0)


def test_the_page_follows_a_reply_only_while_the_reader_is_at_the_bottom(page: Page, live_server: str,
                                                                         fake_ollama: FakeOllama) -> None:
    fake_ollama.reset()
    _chat_through_ollama(page, live_server, fake_ollama)
    fake_ollama.script = OllamaScript(tokens=[f'line {i}\n' for i in range(120)], delay=0.08)
    _send(page, 'Write a long poem')
    streaming = page.locator('.whitespace-pre-wrap').last
    expect(streaming).to_contain_text('line 30')
    distance = 'document.scrollingElement.scrollHeight - document.scrollingElement.scrollTop' \
               ' - document.scrollingElement.clientHeight'
    assert page.evaluate('document.scrollingElement.scrollTop') > 0
    assert page.evaluate(distance) < 80, 'at the bottom, the page follows the growing reply'
    page.evaluate('window.scrollTo(0, 0)')
    expect(streaming).to_contain_text('line 60')
    assert page.evaluate('document.scrollingElement.scrollTop') == 0, 'a reader who scrolled up stays put'
