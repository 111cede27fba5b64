"""The text to speech plugin: what is read, the voice, the generated browser call (its text survives any content),
the auto-read mark, settings, packaging, and the chat page's buttons with the browser call recorded."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import pytest
from nicegui.testing import User
from tts import plugin
from tts.speech import MAX_SPOKEN, STOP_SCRIPT, Voice, language_of, readable_text, speak_script
from tts.view import voice_for

from app import runtime
from app.db.models import User as Account
from app.errors import InvalidInputError
from app.plugins.chat_bridge import chat_info
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging

Login = Callable[..., Awaitable[Account]]
LoadPlugins = Callable[..., Awaitable[None]]
UTTERANCE = re.compile(r'new SpeechSynthesisUtterance\((.*)\);\n')


@pytest.mark.parametrize(('markdown', 'narrate', 'spoken'), [
    ('*She smiles.* "Welcome, traveller!" she says.', 'all', 'She smiles. "Welcome, traveller!" she says.'),
    ('*She smiles.* "Welcome, traveller!" she says.', 'quotes', 'Welcome, traveller!'),
    ('*She smiles.* "Welcome, traveller!" she says.', 'no_actions', '"Welcome, traveller!" she says.'),
    ('*她笑了。*“欢迎，旅人！”「请进」', 'quotes', '欢迎，旅人！ 请进'),
    ('See [the map](https://x.example) ![pic](a.png)\n```\ncode()\n```\n<b>Bold</b> **end**', 'all',
     'See the map pic Bold end'),
    ('## Title\n> quoted ~~gone~~', 'all', 'Title quoted gone'),
    ('*only an action*', 'quotes', ''),
])
def test_the_readable_text_of_a_message(markdown: str, narrate: str, spoken: str) -> None:
    assert readable_text(markdown, narrate) == spoken


def test_very_long_messages_are_cut() -> None:
    assert len(readable_text('word ' * 5000)) == MAX_SPOKEN


@pytest.mark.parametrize(('text', 'lang'), [('你好，旅人', 'zh-CN'), ('Hi 你好', 'zh-CN'), ('Hello 你好', 'en-US'),
                                            ('Hello there', 'en-US'), ('...', 'en-US')])
def test_the_voice_language_follows_the_text(text: str, lang: str) -> None:
    assert language_of(text) == lang


def test_the_voice_is_the_users_choice() -> None:
    auto = SimpleNamespace(voice_language='auto', voice_name=' Xiaoxiao ', rate=1.5, pitch=0.8)
    fixed = SimpleNamespace(voice_language='en-US', voice_name='', rate=1.0, pitch=1.0)
    assert voice_for(auto, '你好') == Voice('zh-CN', 'Xiaoxiao', 1.5, 0.8)
    assert voice_for(fixed, '你好') == Voice('en-US', '', 1.0, 1.0)


@pytest.mark.parametrize('text', ['Say "hi"\nthen go', '</script><script>alert(1)</script>', 'a\u2028b `${x}` \\n'])
def test_the_script_carries_the_text_intact(text: str) -> None:
    script = speak_script(text, Voice('en-US', 'Daniel "UK"', 1.25, 0.5))
    (argument,) = UTTERANCE.findall(script)
    assert json.loads(argument) == text
    assert '\u2028' not in script and '\n' not in argument
    assert 'utterance.lang = "en-US";' in script and 'utterance.rate = 1.25;' in script
    assert 'utterance.pitch = 0.5;' in script and 'v.name === "Daniel \\"UK\\""' in script
    assert '.startsWith("en")' in script and 'synth.cancel();' in script


async def test_a_finished_reply_marks_the_chat_only_for_users_who_want_it_read() -> None:
    async with plugin_harness(plugin) as h:
        chat = await h.chat()
        await h.pipe('reply_finished', 'Hi.', chat=chat)
        assert await h.ctx.kv.get(f'auto-read:{chat.id}') is None
        await h.services.plugins.write_settings('tts', 'user', {'auto_read': True}, h.user)
        await h.pipe('reply_finished', 'Hi.', chat=chat)
        assert await h.ctx.kv.get(f'auto-read:{chat.id}') == '1'


async def test_settings_out_of_range_are_refused() -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError) as refused:
            await h.services.plugins.write_settings('tts', 'user', {'rate': 3}, h.user)
    assert refused.value.params['field'] == 'rate'


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('tts')
    assert contents.manifest.contributes.slots == ['chat.message.actions', 'chat.input.toolbar']


def _recording(user: User, answer: object = True) -> list[str]:
    """Record the speech calls the page makes (the simulated browser answers them with `answer`)."""
    spoken: list[str] = []

    def speak(match: re.Match[str]) -> object:
        spoken.append(match.string)
        return answer

    user.javascript_rules[re.compile(r'.*speechSynthesis', re.DOTALL)] = speak
    return spoken


async def _spoken(spoken: list[str], count: int) -> None:
    """Let the page's handlers run until it made `count` speech calls (or a good while passed)."""
    for _ in range(200):
        if len(spoken) >= count:
            return
        await asyncio.sleep(0.02)


async def _chat(account: Account, greeting: str = '*Mira bows.* "Welcome to the inn."') -> str:
    services = runtime.services()
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes=greeting))
    return (await services.chats.start(account, character.id)).id


async def test_read_aloud_speaks_the_message_with_the_users_voice(user: User, login: Login,
                                                                  load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('tts.plugin')
    await runtime.services().plugins.write_settings('tts', 'user', {'narrate': 'quotes', 'rate': 1.5}, account)
    chat_id = await _chat(account)
    spoken = _recording(user)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='read-aloud-0')
    assert spoken == []
    user.find(marker='read-aloud-0').click()
    await _spoken(spoken, 1)
    (script,) = spoken
    assert json.loads(UTTERANCE.findall(script)[0]) == 'Welcome to the inn.'
    assert 'utterance.rate = 1.5;' in script and 'utterance.lang = "en-US";' in script
    user.find(marker='tts-stop').click()
    await _spoken(spoken, 2)
    assert spoken[-1] == STOP_SCRIPT


async def test_a_browser_without_speech_synthesis_says_so(user: User, login: Login,
                                                          load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('tts.plugin')
    chat_id = await _chat(account, '你好，旅人。')
    spoken = _recording(user, answer=False)
    await user.open(f'/chat/{chat_id}')
    user.find(marker='read-aloud-0').click()
    await user.should_see('This browser cannot read aloud (it has no speech synthesis).')
    assert 'utterance.lang = "zh-CN";' in spoken[0]


async def test_a_finished_reply_is_read_once_when_the_chat_shows_it(user: User, login: Login,
                                                                    load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('tts.plugin')
    services = runtime.services()
    await services.plugins.write_settings('tts', 'user', {'auto_read': True}, account)
    chat_id = await _chat(account, 'Old greeting.')
    await services.chats.append(account, chat_id, NewMessage(role='user', content='Hello?'))
    await services.chats.append(account, chat_id, NewMessage(role='assistant', name='Mira', content='A new reply.'))
    chat = await services.chats.get(account, chat_id)
    await services.plugins.pipe('reply_finished', 'A new reply.', user=account,
                                chat=chat_info(chat, account, 'Mira', 'alice'))
    spoken = _recording(user)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='read-aloud-2')
    await _spoken(spoken, 1)  # the reading starts in the background once the reply's buttons are drawn
    (script,) = spoken
    assert json.loads(UTTERANCE.findall(script)[0]) == 'A new reply.'
    assert await services.plugins.get('tts').context.kv.get(f'auto-read:{chat_id}') is None
