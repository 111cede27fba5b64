"""First-party plugins in a real browser, installed from the local marketplace index like an administrator would:
text to speech reads a message and then a new reply aloud (the page's speech synthesis is replaced by a recorder),
and a quick reply sends `/roll d20` through the chat input, which the dice roller answers with a note."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import register
from tests.support.fake_openai import FakeOpenAI, Script

pytestmark = pytest.mark.e2e

SPEECH_RECORDER = '''
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  speak: (utterance) => window.__spoken.push({text: utterance.text, lang: utterance.lang, rate: utterance.rate}),
  cancel: () => window.__spoken.push('cancel'),
  getVoices: () => [],
}});
'''


def _install(page: Page, base: str, plugin_id: str, consent: list[str]) -> None:
    response = page.request.post(f'{base}/api/v1/marketplace/install', data={'id': plugin_id, 'consent': consent})
    assert response.status == 201, response.text()


def _character(page: Page, base: str, greeting: str) -> str:
    return page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': greeting}).json()['id']


def test_messages_and_new_replies_are_read_aloud(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    base = live_server
    page.add_init_script(SPEECH_RECORDER)
    register(page, base, 'admin')
    _install(page, base, 'tts', ['chat.read'])
    settings = page.request.put(f'{base}/api/v1/plugins/tts/user-settings', data={'narrate': 'quotes', 'rate': 1.5})
    assert settings.ok, settings.text()
    connection = page.request.post(f'{base}/api/v1/connections', data={
        'name': 'Fake', 'provider': 'openai', 'base_url': fake_openai.base_url, 'model': 'fake-model',
        'is_default': True})
    assert connection.ok, connection.text()
    character_id = _character(page, base, '*Mira bows.* "Welcome to the inn."')
    page.goto(f'{base}/characters/{character_id}/chat')
    expect(page.get_by_text('Welcome to the inn.')).to_be_visible()
    page.get_by_role('button', name='Read aloud').first.click()
    page.wait_for_function('window.__spoken.length === 2')
    assert page.evaluate('window.__spoken') == ['cancel', {'text': 'Welcome to the inn.', 'lang': 'en-US',
                                                           'rate': 1.5}]
    page.get_by_role('button', name='Stop reading').click()
    page.wait_for_function('window.__spoken.length === 3')

    page.request.put(f'{base}/api/v1/plugins/tts/user-settings', data={'narrate': 'quotes', 'rate': 1.5,
                                                                       'auto_read': True})
    fake_openai.script = Script(tokens=['*Mira nods.* ', '"', '欢迎', '回来。', '"'])
    page.get_by_placeholder('Write a message').fill('I am back!')
    page.keyboard.press('Enter')
    expect(page.get_by_text('欢迎回来。')).to_be_visible()
    page.wait_for_function('window.__spoken.some(item => item.text === "欢迎回来。")')
    assert page.evaluate('window.__spoken.filter(item => item.text).pop()') == {'text': '欢迎回来。', 'lang': 'zh-CN',
                                                                                'rate': 1.5}


def test_a_quick_reply_sends_a_dice_roll(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'admin')
    _install(page, base, 'dice_roller', ['chat.write'])
    _install(page, base, 'quick_replies', ['chat.write', 'db.own_tables'])
    page.goto(f'{base}/p/quick_replies/')
    page.get_by_role('button', name='New set').click()
    page.get_by_role('button', name='Add reply').click()
    page.get_by_label('Button label').fill('Attack roll')
    page.get_by_label('Message').fill('/roll d20+5 attack')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Quick replies saved.')).to_be_visible()

    page.goto(f'{base}/characters/{_character(page, base, "Hello.")}/chat')
    page.get_by_role('button', name='My quick replies').click()
    page.get_by_text('Attack roll').click()
    expect(page.get_by_text('🎲 admin rolls d20+5 (attack): [')).to_be_visible()
    page.get_by_role('button', name='Roll dice').click()
    page.get_by_text('d100', exact=True).click()
    expect(page.get_by_text('🎲 admin rolls d100: [')).to_be_visible()
    expect(page.get_by_placeholder('Write a message')).to_have_value('')
