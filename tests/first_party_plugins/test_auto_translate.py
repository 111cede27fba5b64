"""The auto-translate plugin, with the fake OpenAI server as the chats' model: language guessing, outgoing
translation (through the hook and a real send), the cache, failures, settings, packaging, and the Translate action and
automatic reply translations on the chat page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from auto_translate import plugin
from auto_translate.translations import cached, language_of, needs_translation, other_language, translate
from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.errors import InvalidInputError
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.connections import ConnectionFields
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import chat_on_fake_openai, check_packaging
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[Account]]
LoadPlugins = Callable[..., Awaitable[None]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hello', ' there.'])
    fake_openai.requests.clear()


@pytest.mark.parametrize(('text', 'language'), [
    ('Hello there', 'en'), ('你好，旅人。', 'zh-CN'), ('OK 好的', 'zh-CN'), ('*waves* 你好 friend, how are you?', 'en'),
    ('... 123 !', None), ('', None),
])
def test_the_language_is_guessed_from_the_letters(text: str, language: str | None) -> None:
    assert language_of(text) == language


def test_only_text_in_another_language_needs_translating() -> None:
    assert needs_translation('你好', 'en') and not needs_translation('Hello', 'en')
    assert not needs_translation('👍 42', 'zh-CN')
    assert (other_language('你好'), other_language('Hello')) == ('en', 'zh-CN')


async def test_my_chinese_message_is_sent_in_english(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('auto_translate', 'user', {'my_messages': 'en'}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        translated = await h.pipe('message_submitted', '你好，旅人。', chat=chat)
        english = await h.pipe('message_submitted', 'Already English.', chat=chat)
        again = await h.pipe('message_submitted', '你好，旅人。', chat=chat)
    assert (translated, english, again) == ('Hello there.', 'Already English.', 'Hello there.')
    (request,) = fake_openai.requests
    (asked,) = request['messages']
    assert asked['content'].startswith('Translate the text below into English.')
    assert asked['content'].endswith('\n\n你好，旅人。')


async def test_a_real_send_stores_and_prompts_the_translation(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('auto_translate', 'user', {'my_messages': 'zh-CN'}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        fake_openai.script = Script(tokens=['你好', '。'])
        message, _ = await h.services.generation.send(h.user, chat.id, 'Hello.')
        await h.services.generation.wait(chat.id)
    assert message.content == '你好。'
    assert 'Simplified Chinese' in fake_openai.requests[0]['messages'][0]['content']
    assert fake_openai.requests[1]['messages'][-1] == {'role': 'user', 'content': '你好。'}


async def test_a_failing_model_lets_the_message_go_as_written(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(status=500, error_body={'error': {'message': 'down'}})
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('auto_translate', 'user', {'my_messages': 'en'}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        sent = await h.pipe('message_submitted', '你好', chat=chat)
        errors = await h.errors()
        assert await cached(h.ctx, h.user.id, '你好', 'en') is None
    assert (sent, errors) == ('你好', [])


async def test_the_same_text_asked_twice_at_once_is_translated_once(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Good', ' night.'], delay=0.05)
    async with plugin_harness(plugin) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        first, second = await asyncio.gather(translate(h.ctx, h.user, chat.id, '晚安', 'en'),
                                             translate(h.ctx, h.user, chat.id, '晚安', 'en'))
        bob = await h.new_user('bob')
        bobs_cache = await cached(h.ctx, bob.id, '晚安', 'en')
    assert first == second == 'Good night.'
    assert len(fake_openai.requests) == 1 and bobs_cache is None


async def test_an_instruction_without_the_language_is_refused() -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError) as refused:
            await h.services.plugins.write_settings('auto_translate', 'admin', {'instruction': 'Translate this.'})
        with pytest.raises(InvalidInputError):
            await h.services.plugins.write_settings('auto_translate', 'user', {'replies': 'fr'}, h.user)
    assert refused.value.params['field'] == 'instruction'


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('auto_translate')
    assert contents.manifest.contributes.slots == ['chat.message.actions']


async def _chat_page(user: User, account: Account, fake_openai: FakeOpenAI, greeting: str) -> str:
    services = runtime.services()
    await services.connections.create(account, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                                base_url=fake_openai.base_url, is_default=True))
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes=greeting))
    return (await services.chats.start(account, character.id)).id


async def test_the_newest_reply_is_shown_with_its_translation_under_it(user: User, login: Login,
                                                                      load_plugins: LoadPlugins,
                                                                      fake_openai: FakeOpenAI) -> None:
    account = await login('alice')
    await load_plugins('auto_translate.plugin')
    await runtime.services().plugins.write_settings('auto_translate', 'user', {'replies': 'zh-CN'}, account)
    fake_openai.script = Script(tokens=['你好，', '{{user}}。'])
    chat_id = await _chat_page(user, account, fake_openai, 'Hello, {{user}}.')
    await user.open(f'/chat/{chat_id}')
    await user.should_see('你好，{{user}}。')
    (box,) = user.find(marker='translation-0').elements
    assert isinstance(box.parent_slot.parent, ui.card)
    await user.should_see('Translation · Simplified Chinese (简体中文)')


async def test_translate_shows_and_hides_an_older_messages_translation(user: User, login: Login,
                                                                      load_plugins: LoadPlugins,
                                                                      fake_openai: FakeOpenAI) -> None:
    account = await login('alice')
    await load_plugins('auto_translate.plugin')
    chat_id = await _chat_page(user, account, fake_openai, '你好，旅人。')
    await runtime.services().chats.append(account, chat_id, NewMessage(role='user', content='Hi!'))
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='translate-message-0')
    assert fake_openai.requests == []
    user.find(marker='translate-message-0').click()
    await user.should_see('Hello there.')
    await user.should_see('Translation · English')
    user.find(marker='translate-message-0').click()
    await user.should_not_see('Hello there.')
    user.find(marker='translate-message-0').click()
    await user.should_see('Hello there.')
    assert len(fake_openai.requests) == 1


async def test_a_failed_translation_says_why(user: User, login: Login, load_plugins: LoadPlugins,
                                             fake_openai: FakeOpenAI) -> None:
    account = await login('alice')
    await load_plugins('auto_translate.plugin')
    chat_id = await _chat_page(user, account, fake_openai, 'Hello.')
    fake_openai.script = Script(status=500, error_body={'error': {'message': 'backend down'}})
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='translate-message-0')
    user.find(marker='translate-message-0').click()
    await user.should_see('Could not translate:', retries=50)
