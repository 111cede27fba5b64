import asyncio
from collections.abc import AsyncIterator

import pytest

from app.config import Settings
from app.db.models import Chat, User
from app.errors import ConflictError
from app.services.character_card import CharacterFields
from app.services.container import Services, build_services
from app.services.generation_stream import collect
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script

PASSWORD = 'correct horse battery'


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hel', 'lo', ', ', 'Alex', '.'])
    fake_openai.requests.clear()
    fake_openai.disconnects = 0


async def _setup(services: Services, fake_openai: FakeOpenAI) -> tuple[User, Chat]:
    alice = await services.accounts.register('alice', PASSWORD, display_name='Alex')
    return alice, await chat_on_fake_openai(services, alice, fake_openai,
                                            CharacterFields(name='Mira', first_mes='Hi {{user}}.'))


async def test_a_reply_streams_and_is_stored_once_complete(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$')))
    await asyncio.sleep(0.05)
    message, reply_id = await services.generation.send(alice, chat.id, 'Hello {{char}}!')
    events = await watcher
    assert [e.data for e in events if e.kind == 'message'] == ['Hel', 'lo', ', ', 'Alex', '.']
    assert events[-1].kind == 'complete' and {e.message_id for e in events} == {reply_id}
    await services.generation.wait(chat.id)
    page = (await services.chats.messages(alice, chat.id)).items
    assert [(m.role, m.content, m.status) for m in page] == [
        ('assistant', 'Hi {{user}}.', 'complete'), ('user', 'Hello {{char}}!', 'complete'),
        ('assistant', 'Hello, Alex.', 'complete')]
    assert page[-1].id == reply_id and page[1].id == message.id
    assert page[-1].meta['completion_tokens'] == 5 and page[-1].meta['prompt_tokens'] == 11
    sent = fake_openai.requests[0]['messages']
    assert sent[-1] == {'role': 'user', 'content': 'Hello Mira!'}
    assert {'role': 'assistant', 'content': 'Hi Alex.', 'name': 'Mira'} in sent


async def test_one_reply_per_chat(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    fake_openai.script = Script(tokens=['slow '] * 20, delay=0.05)
    await services.generation.send(alice, chat.id, 'Go')
    with pytest.raises(ConflictError, match='already being generated'):
        await services.generation.send(alice, chat.id, 'Again')
    await services.generation.wait(chat.id)
    assert not services.generation.is_running(chat.id)
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)


async def test_stop_keeps_the_partial_reply_and_closes_the_upstream(services: Services,
                                                                   fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    fake_openai.script = Script(tokens=[f'w{i} ' for i in range(100)], delay=0.02)
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$')))
    _, reply_id = await services.generation.send(alice, chat.id, 'Talk')
    await asyncio.sleep(0.3)
    await services.generation.stop(alice, chat.id)
    await services.generation.wait(chat.id)
    events = await watcher
    stored = (await services.chats.messages(alice, chat.id)).items[-1]
    assert stored.id == reply_id and stored.status == 'interrupted'
    assert stored.content == ''.join(e.data for e in events if e.kind == 'message')
    assert 0 < len(stored.content.split()) < 100
    assert events[-1].kind == 'complete' and events[-1].data == 'interrupted'
    await asyncio.sleep(0.2)
    assert fake_openai.disconnects == 1


async def test_a_stream_dropped_mid_reply_keeps_the_text_and_shows_the_error(services: Services,
                                                                            fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    fake_openai.script = Script(tokens=['kept ', 'text ', 'lost'], drop_after=2)
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$'), until='complete'))
    await services.generation.send(alice, chat.id, 'Talk')
    await services.generation.wait(chat.id)
    stored = (await services.chats.messages(alice, chat.id)).items[-1]
    assert (stored.content, stored.status) == ('kept text ', 'error')
    assert 'closed before the reply was finished' in stored.error
    assert [e.kind for e in await watcher][-1] == 'error'


async def test_swiping_right_past_the_last_swipe_generates_a_new_one(services: Services,
                                                                    fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    greeting = (await services.chats.messages(alice, chat.id)).items[0]
    fake_openai.script = Script(tokens=['Another ', 'greeting.'])
    assert await services.generation.new_swipe(alice, chat.id, greeting.id) == greeting.id
    await services.generation.wait(chat.id)
    stored = (await services.chats.messages(alice, chat.id)).items[0]
    assert stored.swipes == ['Hi {{user}}.', 'Another greeting.'] and stored.swipe_index == 1


async def test_without_a_connection_the_embedded_local_model_replies(services: Services) -> None:
    bob = await services.accounts.register('bob', PASSWORD)
    character = await services.characters.create(bob, CharacterFields(name='Mira', description='A lighthouse keeper.'))
    chat = await services.chats.start(bob, character.id)
    chat.settings = {'max_tokens': 24, 'temperature': 0.0}
    async with services.db.session() as session:
        session.add(chat)
        await session.commit()
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$'), timeout=60))
    await asyncio.sleep(0.05)
    await services.generation.send(bob, chat.id, 'Hello! Who are you?')
    events = await watcher
    await services.generation.wait(chat.id)
    reply = (await services.chats.messages(bob, chat.id)).items[-1]
    assert reply.status == 'complete' and reply.content.strip()
    assert reply.content == ''.join(e.data for e in events if e.kind == 'message')
    assert len([e for e in events if e.kind == 'message']) >= 3
    assert 0 < reply.meta['completion_tokens'] <= 25 and reply.meta['prompt_tokens'] > 10


@pytest.fixture
async def two_instances(settings: Settings, redis_url: str) -> AsyncIterator[tuple[Services, Services]]:
    settings.redis_url = redis_url
    settings.ensure_data_dir()
    first, second = build_services(settings), build_services(settings)
    yield first, second
    await first.close()
    await second.close()


async def test_another_instance_follows_the_reply_live_and_can_stop_it(
        two_instances: tuple[Services, Services], fake_openai: FakeOpenAI) -> None:
    owner, other = two_instances
    alice, chat = await _setup(owner, fake_openai)
    fake_openai.script = Script(tokens=[f'w{i} ' for i in range(100)], delay=0.02)
    watcher = asyncio.create_task(collect(other.streams.subscribe(chat.id, after_id='$')))
    await asyncio.sleep(0.1)
    await owner.generation.send(alice, chat.id, 'Talk')
    await asyncio.sleep(0.4)
    with pytest.raises(ConflictError):
        await other.generation.send(alice, chat.id, 'Me too')
    await other.generation.stop(alice, chat.id)
    await owner.generation.wait(chat.id)
    events = await watcher
    stored = (await other.chats.messages(alice, chat.id)).items[-1]
    assert stored.status == 'interrupted'
    assert stored.content == ''.join(e.data for e in events if e.kind == 'message') != ''
