"""Reply suggestions: the prompt (conversation, names, language), reading the model's answer, a real quiet
generation against the fake OpenAI server, the toolbar button filling the chat input, and the packaging."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from reply_suggestions import plugin
from reply_suggestions.suggest import build_prompt, chat_language, parse_suggestions, suggest_replies

from app import runtime
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.connections import ConnectionFields
from plugins.sdk import ChatMessageView
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import (
    chat_on_fake_openai,
    check_packaging,
)
from tests.support.fake_openai import FakeOpenAI, Script

ANSWER = ['Here are three replies:\n', '1. "Lead the way!"\n', '2) What was that noise?\n', '- I draw my sword.\n',
          '4. Lead the way!']


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=ANSWER)
    fake_openai.requests.clear()


def view(role: str, content: str, name: str = '', seq: int = 1) -> ChatMessageView:
    return ChatMessageView(id=seq, role=role, name=name, content=content, seq=seq)


@pytest.mark.parametrize(('answer', 'replies'), [
    ('1. "Lead the way!"\n2) What was that noise?\n- I draw my sword.\n4. Lead the way!',
     ['Lead the way!', 'What was that noise?', 'I draw my sword.']),
    ('<think>They want options.</think>\n（1）好的，我们走吧。\n2、那是什么声音？\n「我拔出剑。」',
     ['好的，我们走吧。', '那是什么声音？', '我拔出剑。']),
    ('Suggestions:\n\n• Yes\n• yes\n• No', ['Yes', 'No']),
    ('', []),
])
def test_the_answer_is_read_one_reply_per_line(answer: str, replies: list[str]) -> None:
    assert parse_suggestions(answer, 3) == replies


def test_the_prompt_holds_the_conversation_and_asks_for_the_chat_language() -> None:
    messages = [view('assistant', '你好，旅行者。今天想去哪里？', 'Mira', 1),
                view('system', '🎲 secret note', '/roll', 2), view('user', '我想去  森林\n看看。', 'Lin', 3)]
    prompt = build_prompt(messages, 3, 20)
    assert 'You help Lin write their next message in a role-play chat with Mira.' in prompt
    assert 'Mira: 你好，旅行者。今天想去哪里？\nLin: 我想去 森林 看看。' in prompt
    assert 'secret note' not in prompt
    assert 'Write 3 different short replies that Lin could send next, in Chinese' in prompt
    assert 'at most 20 words' in prompt


@pytest.mark.parametrize(('text', 'language'), [
    ('Where are we going?', 'the language the conversation is written in'), ('どこへ行くの？', 'Japanese'),
    ('어디 가요?', 'Korean'), ('Let us go to 北京 together, friend', 'the language the conversation is written in')])
def test_the_language_follows_the_script_of_the_recent_messages(text: str, language: str) -> None:
    assert chat_language([view('user', text)]).startswith(language)


async def test_suggestions_come_from_a_quiet_generation_of_the_chat_model(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        await h.services.chats.append(h.user, chat.id, NewMessage(role='user', content='Shall we go?'))
        replies = await suggest_replies(h.ctx, h.user, chat.id, 3, 25)
        messages = await h.ctx.services.chat_messages(h.user, chat.id)
    assert replies == ['Lead the way!', 'What was that noise?', 'I draw my sword.']
    (request,) = fake_openai.requests
    (prompt,) = request['messages']
    assert prompt['role'] == 'user'
    assert 'Mira: Hello.' in prompt['content'] and 'Shall we go?' in prompt['content']
    assert request['model'] == 'fake-model'
    assert [message.content for message in messages] == ['Hello.', 'Shall we go?']


async def test_a_failing_model_raises_its_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(status=500, error_body={'error': {'message': 'model overloaded'}})
    async with plugin_harness(plugin) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        with pytest.raises(Exception, match='overloaded'):
            await suggest_replies(h.ctx, h.user, chat.id, 3, 25)


async def test_only_the_chat_toolbar_gets_the_button_and_settings_are_checked() -> None:
    async with plugin_harness(plugin) as h:
        assert len(await h.call('ui_slot', slot='chat.input.toolbar', target=None)) == 1
        assert await h.call('ui_slot', slot='chat.sidebar', target=None) == []
        response = await h.client.put(f'/api/v1/plugins/{h.plugin_id}/user-settings', json={'count': 9})
        assert response.status_code in (400, 422)
        response = await h.client.put(f'/api/v1/plugins/{h.plugin_id}/user-settings', json={'count': 2})
        assert response.status_code == 200
        assert (await h.ctx.user_settings(h.user)).count == 2


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    check_packaging('reply_suggestions')


async def open_chat(user: User, login, fake_openai: FakeOpenAI) -> str:
    owner = await login('alice')
    services = runtime.services()
    await services.plugins.load_modules([plugin.__name__])
    await services.connections.create(owner, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                              base_url=fake_openai.base_url, is_default=True))
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Shall we go?'))
    chat = await services.chats.start(owner, character.id)
    await user.open(f'/chat/{chat.id}')
    return chat.id


async def test_clicking_a_suggestion_puts_it_into_the_message_box(user: User, login,
                                                                 fake_openai: FakeOpenAI) -> None:
    await open_chat(user, login, fake_openai)
    user.find(marker='reply-suggestions').click()
    await user.should_see(marker='reply-suggestion')
    chips = sorted((element for element in user.find(marker='reply-suggestion').elements
                    if isinstance(element, ui.chip)), key=lambda chip: chip.id)
    assert [chip.text for chip in chips] == ['Lead the way!', 'What was that noise?', 'I draw my sword.']
    user.find('What was that noise?').click()
    (box,) = user.find(marker='chat-input').elements
    assert box.value == 'What was that noise?'
    assert len(fake_openai.requests) == 1


async def test_a_failing_model_is_explained_in_the_menu(user: User, login, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(status=500, error_body={'error': {'message': 'model overloaded'}})
    await open_chat(user, login, fake_openai)
    user.find(marker='reply-suggestions').click()
    await user.should_see(marker='reply-suggestions-failed')
    await user.should_see(marker='reply-suggestions-again')
