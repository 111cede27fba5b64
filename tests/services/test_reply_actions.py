"""Regenerate, continue, impersonate, the prompt token count and per-chat generation settings."""

import asyncio

import pytest

from app.db.models import Chat, User
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.character_card import CharacterFields
from app.services.chats import ChatConfig, NewMessage
from app.services.connections import ConnectionFields
from app.services.container import Services
from app.services.generation_settings import GenerationSettings, checked_settings
from app.services.generation_stream import collect
from app.services.personas import PersonaFields
from app.services.presets import default_prompt_manager
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script

PASSWORD = 'correct horse battery'


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hel', 'lo', '.'])
    fake_openai.requests.clear()


async def _setup(services: Services, fake_openai: FakeOpenAI) -> tuple[User, Chat]:
    alice = await services.accounts.register('alice', PASSWORD, display_name='Alex')
    return alice, await chat_on_fake_openai(services, alice, fake_openai,
                                            CharacterFields(name='Mira', first_mes='Hi {{user}}.'))


async def test_regenerate_adds_a_swipe_and_keeps_the_old_reply(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    _, reply_id = await services.generation.send(alice, chat.id, 'Hey')
    await services.generation.wait(chat.id)
    fake_openai.script = Script(tokens=['Second', ' take'])
    assert await services.generation.regenerate(alice, chat.id) == reply_id
    streaming = await services.chats.message(alice, reply_id)
    assert (streaming.status, streaming.content, streaming.swipes) == ('streaming', '', ['Hello.', ''])
    await services.generation.wait(chat.id)
    stored = await services.chats.message(alice, reply_id)
    assert stored.swipes == ['Hello.', 'Second take'] and stored.swipe_index == 1
    assert stored.content == 'Second take' and stored.status == 'complete'
    assert 'stream_after' not in stored.meta
    assert fake_openai.requests[-1]['messages'][-1] == {'role': 'user', 'content': 'Hey'}


async def test_regenerate_after_a_user_message_writes_a_new_reply(services: Services,
                                                                  fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.chats.append(alice, chat.id, _user('Are you there?'))
    reply_id = await services.generation.regenerate(alice, chat.id)
    await services.generation.wait(chat.id)
    items = (await services.chats.messages(alice, chat.id)).items
    assert [m.content for m in items] == ['Hi {{user}}.', 'Are you there?', 'Hello.']
    assert items[-1].id == reply_id


async def test_continue_appends_to_the_last_reply_with_a_nudge(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    greeting = (await services.chats.messages(alice, chat.id)).items[0]
    fake_openai.script = Script(tokens=[' How', ' are', ' you?'])
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$')))
    await asyncio.sleep(0.05)
    assert await services.generation.continue_reply(alice, chat.id) == greeting.id
    events = await watcher
    assert [e.data for e in events if e.kind == 'message'] == [' How', ' are', ' you?']
    await services.generation.wait(chat.id)
    stored = await services.chats.message(alice, greeting.id)
    assert stored.content == 'Hi {{user}}. How are you?' and stored.swipes[0] == stored.content
    assert stored.meta['completion_tokens'] == 3
    sent = fake_openai.requests[-1]['messages']
    nudge = default_prompt_manager().continue_nudge_prompt.replace('{{lastChatMessage}}', 'Hi Alex.')
    assert sent[-1] == {'role': 'system', 'content': nudge}
    assert {'role': 'assistant', 'content': 'Hi Alex.', 'name': 'Mira'} in sent


async def test_continue_needs_a_reply_at_the_end(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.chats.append(alice, chat.id, _user('My turn'))
    with pytest.raises(InvalidInputError, match='Only a reply of the character can be continued'):
        await services.generation.continue_reply(alice, chat.id)
    assert not services.generation.is_running(chat.id)
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)


async def test_impersonate_returns_the_users_next_message_without_storing_it(services: Services,
                                                                           fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    fake_openai.script = Script(tokens=[' I wave', ' back. '])
    assert await services.generation.impersonate(alice, chat.id) == 'I wave back.'
    assert (await services.chats.get(alice, chat.id)).message_count == 1
    assert 'point of view of Alex' in fake_openai.requests[-1]['messages'][-1]['content']
    assert not services.generation.is_running(chat.id)


async def test_impersonate_holds_the_chat_and_stop_keeps_the_part_written(services: Services,
                                                                          fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    fake_openai.script = Script(tokens=[f'w{i} ' for i in range(100)], delay=0.02)
    writing = asyncio.create_task(services.generation.impersonate(alice, chat.id))
    while not fake_openai.requests:  # building the prompt takes longer on a busy machine
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    with pytest.raises(ConflictError):
        await services.generation.reply(alice, chat.id)
    await services.generation.stop(alice, chat.id)
    text = await writing
    assert text.startswith('w0 w1') and 0 < len(text.split()) < 100


async def test_prompt_tokens_grow_with_the_draft(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    empty = await services.generation.prompt_tokens(alice, chat.id)
    drafted = await services.generation.prompt_tokens(alice, chat.id, 'x' * 400)
    assert empty > 0 and drafted == empty + 100


async def test_chat_settings_reach_the_wire_over_the_connections(services: Services,
                                                                fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    settings = GenerationSettings(model='other-model', temperature=0.3, top_k=20, max_tokens=64, stop=['\nAlex:'])
    configured = await services.chats.configure(alice, chat.id, ChatConfig(settings=settings))
    assert configured.settings == {'model': 'other-model', 'temperature': 0.3, 'top_k': 20, 'max_tokens': 64,
                                   'stop': ['\nAlex:']}
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    body = fake_openai.requests[-1]
    assert (body['model'], body['temperature'], body['top_k'], body['max_tokens'], body['stop']) == \
        ('other-model', 0.3, 20, 64, ['\nAlex:'])
    cleared = await services.chats.configure(alice, chat.id, ChatConfig(settings=None))
    assert cleared.settings == {}


async def test_configure_refuses_someone_elses_connection_and_keeps_unset_fields(services: Services,
                                                                                fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    bob = await services.accounts.register('bob', PASSWORD)
    bobs = await services.connections.create(bob, ConnectionFields(name='Bob', provider='ollama'))
    with pytest.raises(NotFoundError, match='No such connection'):
        await services.chats.configure(alice, chat.id, ChatConfig(connection_id=bobs.id))
    own = await services.connections.create(alice, ConnectionFields(name='Other', provider='anthropic'))
    await services.chats.configure(alice, chat.id, ChatConfig(connection_id=own.id))
    updated = await services.chats.configure(alice, chat.id, ChatConfig(settings=GenerationSettings(top_p=0.9)))
    assert updated.connection_id == own.id and updated.settings == {'top_p': 0.9}


def test_settings_out_of_range_name_the_field() -> None:
    with pytest.raises(InvalidInputError, match='temperature'):
        checked_settings({'temperature': 9})
    assert checked_settings({'top_k': 5, 'instruct_template': 'chatml'}).top_k == 5


def _user(text: str) -> NewMessage:
    return NewMessage(role='user', content=text)


async def test_the_chats_persona_speaks_in_the_prompt(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    assert {'role': 'assistant', 'content': 'Hi Alex.', 'name': 'Mira'} in fake_openai.requests[-1]['messages']
    await services.personas.create(alice, PersonaFields(name='Captain Vale', description='{{user}} sails north.',
                                                        is_default=True))
    assert (await services.personas.for_chat(alice, chat)).name == 'Captain Vale'
    sailor = await services.personas.create(alice, PersonaFields(name='Deckhand Ro', description='A new hand.'))
    await services.chats.configure(alice, chat.id, ChatConfig(persona_id=sailor.id))
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    sent = fake_openai.requests[-1]['messages']
    assert {'role': 'system', 'content': 'A new hand.'} in sent
    assert {'role': 'assistant', 'content': 'Hi Deckhand Ro.', 'name': 'Mira'} in sent
    await services.personas.delete(alice, sailor.id)
    assert (await services.personas.for_chat(alice, await services.chats.get(alice, chat.id))).name == 'Captain Vale'


async def test_hidden_system_messages_stay_out_of_the_prompt(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.chats.append(alice, chat.id, NewMessage(role='system', content='Secret note to self'))
    await services.chats.append(alice, chat.id, _user('Hello?'))
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    sent = [m['content'] for m in fake_openai.requests[-1]['messages']]
    assert 'Hello?' in sent and 'Secret note to self' not in sent
