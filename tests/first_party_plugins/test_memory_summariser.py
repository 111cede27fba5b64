"""The memory summariser plugin, with the fake OpenAI server as the chats' model: when summaries are written (after
enough new messages, incrementally), failures, the prompt injection (through the hook and a real reply), editing,
settings, packaging and the chat side panel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from memory_summariser import plugin
from memory_summariser.summaries import ChatSummary, lines_of, save_text, summary_of, summary_prompt
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.errors import InvalidInputError
from app.services.character_card import CharacterFields
from app.services.connections import ConnectionFields
from plugins.sdk import ChatInfo, ChatMessageView, PromptMessage
from plugins.sdk.testing import PluginHarness, plugin_harness
from tests.first_party_plugins.first_party_checks import chat_on_fake_openai, check_packaging
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[Account]]
LoadPlugins = Callable[..., Awaitable[None]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Mira', ' met', ' Alex.'])
    fake_openai.requests.clear()


async def _story(h: PluginHarness, chat: ChatInfo, *lines: str) -> None:
    for number, text in enumerate(lines):
        role, name = ('user', '') if number % 2 == 0 else ('assistant', chat.character_name)
        await h.ctx.services.add_message(h.user, chat.id, role, text, name=name)


async def _reply_stored(h: PluginHarness, chat: ChatInfo, status: str = 'complete') -> None:
    """What the app does at the end of a reply: the outlet hook, then the `reply.finished` event."""
    await h.pipe('reply_finished', 'reply text', chat=chat)
    await h.call('event', name='reply.finished', payload={'chat_id': chat.id, 'status': status})
    await asyncio.gather(*plugin.PENDING)


def test_the_prompt_holds_the_previous_summary_and_only_the_new_lines() -> None:
    messages = [ChatMessageView(1, 'assistant', 'Mira', 'Hello.', 0), ChatMessageView(2, 'user', '', 'Hi!', 1),
                ChatMessageView(3, 'system', '/roll', '🎲 d20', 2), ChatMessageView(4, 'assistant', 'Mira', ' ', 3)]
    lines = lines_of(messages, 'Alex')
    assert [(line.seq, line.speaker, line.text) for line in lines] == [(0, 'Mira', 'Hello.'), (1, 'Alex', 'Hi!')]
    assert summary_prompt('Summarise.', 'Before.', lines[1:]) == \
        'Summarise.\n\nSummary so far:\nBefore.\n\nNew messages:\nAlex: Hi!'


async def test_a_summary_is_written_once_enough_messages_are_new(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('memory_summariser', 'user', {'every_messages': 4}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        await _story(h, chat, 'I am Alex.')
        await _reply_stored(h, chat)
        assert fake_openai.requests == [] and await summary_of(h.ctx, h.user.id, chat.id) is None
        await _story(h, chat, 'Nice to meet you.', 'Same here.')
        await _reply_stored(h, chat)
        summary = await summary_of(h.ctx, h.user.id, chat.id)
    assert summary is not None and (summary.text, summary.covered_seq, summary.edited) == ('Mira met Alex.', 3, False)
    (request,) = fake_openai.requests
    (asked,) = request['messages']
    assert asked['role'] == 'user' and 'in at most 200 words' in asked['content']
    assert asked['content'].endswith('New messages:\nMira: Hello.\n\ntester: I am Alex.\n\ntester: Nice to meet '
                                     'you.\n\nMira: Same here.')
    assert request['max_tokens'] == 600


async def test_the_next_summary_builds_on_the_last_one(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('memory_summariser', 'user', {'every_messages': 2}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        await _story(h, chat, 'Who are you?')
        await _reply_stored(h, chat)
        fake_openai.script = Script(tokens=['They', ' talked', ' and', ' parted.'])
        await _story(h, chat, 'Bye.', 'Farewell.')
        await _reply_stored(h, chat)
        summary = await summary_of(h.ctx, h.user.id, chat.id)
    assert summary is not None and (summary.text, summary.covered_seq) == ('They talked and parted.', 3)
    second = fake_openai.requests[-1]['messages'][0]['content']
    assert 'Summary so far:\nMira met Alex.\n\nNew messages:\ntester: Bye.\n\nMira: Farewell.' in second
    assert 'Who are you?' not in second


async def test_a_failing_model_keeps_the_old_summary_and_says_why(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('memory_summariser', 'user', {'every_messages': 2}, h.user)
        chat = await chat_on_fake_openai(h, fake_openai)
        await save_text(h.ctx, h.user.id, chat.id, 'An old summary.')
        fake_openai.script = Script(status=500, error_body={'error': {'message': 'overloaded'}})
        await _story(h, chat, 'One.', 'Two.')
        await _reply_stored(h, chat)
        summary = await summary_of(h.ctx, h.user.id, chat.id)
        errors = await h.errors()
    assert summary is not None and summary.text == 'An old summary.'
    assert 'overloaded' in summary.last_error or '500' in summary.last_error
    assert errors == []


async def test_nothing_is_summarised_when_automatic_is_off_or_the_reply_failed(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        await h.services.plugins.write_settings('memory_summariser', 'user', {'every_messages': 2}, h.user)
        await _story(h, chat, 'One.', 'Two.')
        await _reply_stored(h, chat, status='error')
        await h.services.plugins.write_settings('memory_summariser', 'user', {'automatic': False}, h.user)
        await _reply_stored(h, chat)
    assert fake_openai.requests == []


async def test_the_summary_goes_right_after_the_main_prompt() -> None:
    async with plugin_harness(plugin) as h:
        chat = await h.chat()
        messages = [PromptMessage('system', 'Main prompt.'), PromptMessage('user', 'Hi')]
        assert await h.pipe('prompt_messages', messages, chat=chat) == messages
        await save_text(h.ctx, h.user.id, chat.id, 'They met.')
        with_summary = await h.pipe('prompt_messages', messages, chat=chat)
        without_main = await h.pipe('prompt_messages', messages[1:], chat=chat)
        other = await h.new_user('bob')
        bobs_view = await summary_of(h.ctx, other.id, chat.id)
    note = PromptMessage('system', '[Summary of the story so far: They met.]')
    assert with_summary == [messages[0], note, messages[1]]
    assert without_main == [note, messages[1]]
    assert bobs_view is None


async def test_a_real_reply_is_prompted_with_the_summary(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin, settings={'injection': 'Story so far: {summary}'}) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        await save_text(h.ctx, h.user.id, chat.id, 'Alex owes Mira a favour.')
        await h.services.generation.send(h.user, chat.id, 'Remember me?')
        await h.services.generation.wait(chat.id)
    sent = fake_openai.requests[-1]['messages']
    assert sent[0]['role'] == 'system'
    assert sent[1] == {'role': 'system', 'content': 'Story so far: Alex owes Mira a favour.'}
    assert sent[-1] == {'role': 'user', 'content': 'Remember me?'}


async def test_an_edited_summary_is_kept_and_an_empty_one_forgotten() -> None:
    async with plugin_harness(plugin) as h:
        chat = await h.chat()
        edited = await save_text(h.ctx, h.user.id, chat.id, '  My own words.  ')
        assert edited is not None and (edited.text, edited.edited, edited.covered_seq) == ('My own words.', True, -1)
        assert await save_text(h.ctx, h.user.id, chat.id, '') is None
        assert await summary_of(h.ctx, h.user.id, chat.id) is None


@pytest.mark.parametrize(('values', 'field'), [
    ({'injection': 'no placeholder'}, 'injection'),
    ({'instruction': 'Summarise in {words} words for {reader}.'}, 'instruction'),
    ({'summary_words': 5}, 'summary_words'),
])
async def test_settings_that_cannot_work_are_refused(values: dict, field: str) -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError) as refused:
            await h.services.plugins.write_settings('memory_summariser', 'admin', values)
    assert refused.value.params['field'] == field


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('memory_summariser')
    assert contents.manifest.contributes.slots == ['chat.sidebar']
    assert ChatSummary.__tablename__.startswith('plg_memory_summariser_')


async def test_the_side_panel_summarises_now_and_edits(user: User, login: Login, load_plugins: LoadPlugins,
                                                       fake_openai: FakeOpenAI) -> None:
    account = await login('alice')
    await load_plugins('memory_summariser.plugin')
    services = runtime.services()
    await services.connections.create(account, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                                base_url=fake_openai.base_url, is_default=True))
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(account, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='memory-none')
    user.find(marker='memory-now').click()
    await user.should_see('Mira met Alex.')
    await user.should_see('Covers the chat up to message 1.')
    user.find(marker='memory-edit').click()
    await user.should_see(marker='memory-edit-text')
    user.find(marker='memory-edit-text').clear().type('Mira greeted Alex at the inn.')
    user.find(marker='memory-edit-save').click()
    await user.should_see('Written by you; covers the chat up to message 1.')
    summary = await summary_of(services.plugins.get('memory_summariser').context, account.id, chat.id)
    assert summary is not None and summary.text == 'Mira greeted Alex at the inn.'
    user.find(marker='memory-now').click()
    await user.should_see('The summary already covers every message.')
