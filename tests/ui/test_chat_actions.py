"""The chat page's reply actions: regenerate, continue, impersonate, copy, branch, bulk delete, settings panel."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.chats import NewMessage
from app.services.personas import PersonaFields
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[Account]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script()
    fake_openai.requests.clear()


async def _chat(owner: Account, fake: FakeOpenAI) -> str:
    return (await chat_on_fake_openai(runtime.services(), owner, fake)).id


async def _menu(user: User, action: str) -> None:
    user.find(marker='chat-menu').click()
    user.find(marker=action).click()


async def test_continue_and_regenerate_from_the_menu(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    fake_openai.script = Script(tokens=[' Nice', ' to', ' see', ' you.'])
    await _menu(user, 'continue')
    await user.should_see('Hello. Nice to see you.', retries=100)
    fake_openai.script = Script(tokens=['Good', ' evening.'])
    await _menu(user, 'regenerate')
    await user.should_see('Good evening.', retries=100)
    await user.should_see('2/2')
    stored = (await runtime.services().chats.messages(alice, chat_id)).items[0]
    assert stored.swipes == ['Hello. Nice to see you.', 'Good evening.']


async def test_impersonate_fills_the_input(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    fake_openai.script = Script(tokens=['I wave', ' hello.'])
    await _menu(user, 'impersonate')
    await user.should_see('I wave hello.', retries=100)
    assert user.find(marker='chat-input').elements.pop().value == 'I wave hello.'
    assert (await runtime.services().chats.get(alice, chat_id)).message_count == 1


async def test_select_and_delete_several_messages(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    for text in ('one', 'two', 'three'):
        await runtime.services().chats.append(alice, chat_id, NewMessage(role='user', content=text))
    await user.open(f'/chat/{chat_id}')
    await _menu(user, 'select-messages')
    user.find(marker='select-message-1').click()
    user.find(marker='select-message-3').click()
    await user.should_see('2 selected')
    user.find(marker='delete-selected').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_not_see('three')
    await user.should_see('two')
    remaining = (await runtime.services().chats.messages(alice, chat_id)).items
    assert [m.content for m in remaining] == ['Hello.', 'two']


async def test_branch_opens_a_new_chat_up_to_the_message(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    for text in ('first', 'second'):
        await runtime.services().chats.append(alice, chat_id, NewMessage(role='user', content=text))
    await user.open(f'/chat/{chat_id}')
    user.find(marker='branch-message-1').click()
    await user.should_not_see('second', retries=100)  # the branch opens as a new page
    await user.should_see('first')
    chats = await runtime.services().chats.list_chats(alice)
    assert len(chats) == 2 and {c.message_count for c in chats} == {2, 3}


async def test_the_generation_panel_saves_settings_and_the_prompt_count_shows(
        user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    await user.should_see('Next prompt:')
    user.find(marker='generation-open').click()
    await user.should_see(marker='generation-panel')
    user.find(marker='generation-temperature').type('0.4')
    user.find(marker='generation-max_tokens').type('77')
    user.find(marker='generation-stop').type('###')
    user.find(marker='save-generation').click()
    for _ in range(50):
        settings = (await runtime.services().chats.get(alice, chat_id)).settings
        if settings:
            break
        await asyncio.sleep(0.05)
    assert settings == {'temperature': 0.4, 'max_tokens': 77, 'stop': ['###']}
    fake_openai.script = Script(tokens=['Hello', ' there', '!'])
    user.find(marker='chat-input').type('Hi')
    user.find(marker='send').click()
    await user.should_see('Hello there!', retries=100)
    body = fake_openai.requests[-1]
    assert (body['temperature'], body['max_tokens'], body['stop']) == (0.4, 77, ['###'])


async def test_choosing_a_persona_renames_the_user_in_the_chat(user: User, login: Login,
                                                               fake_openai: FakeOpenAI) -> None:
    alice = await login('alice', display_name='Alex')
    chat_id = await _chat(alice, fake_openai)
    await runtime.services().chats.append(alice, chat_id, NewMessage(role='user', content='Ahoy'))
    persona = await runtime.services().personas.create(alice, PersonaFields(name='Captain Vale'))
    await user.open(f'/chat/{chat_id}')
    await user.should_see('Alex')
    user.find(marker='generation-open').click()
    await user.should_see(marker='generation-persona')
    user.find(marker='generation-persona').click()
    user.find('Captain Vale').click()
    user.find(marker='save-generation').click()
    for _ in range(50):
        if (await runtime.services().chats.get(alice, chat_id)).persona_id:
            break
        await asyncio.sleep(0.05)
    assert (await runtime.services().chats.get(alice, chat_id)).persona_id == persona.id
    await user.should_see('Captain Vale', marker='message-1', retries=50)
