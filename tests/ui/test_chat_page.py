import asyncio
from collections.abc import Awaitable, Callable

from nicegui.testing import User

from app import runtime
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.connections import ConnectionFields
from components.streaming_text import StreamingText
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable]


async def _chat(owner) -> str:
    services = runtime.services()
    character = await services.characters.create(owner, CharacterFields(
        name='Mira', first_mes='Hello, {{user}}.', alternate_greetings=['Welcome back, {{user}}.']))
    return (await services.chats.start(owner, character.id)).id


async def test_the_greeting_shows_with_names_filled_and_swipes(user: User, login: Login) -> None:
    alice = await login('alice', display_name='Alex')
    chat_id = await _chat(alice)
    await user.open(f'/chat/{chat_id}')
    await user.should_see('Hello, Alex.')
    await user.should_see('1/2')
    user.find(marker='swipe-right').click()
    await user.should_see('Welcome back, Alex.')
    await user.should_see('2/2')


async def test_a_long_chat_opens_with_a_window_and_loads_older(user: User, login: Login) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice)
    for index in range(1, 80):
        await runtime.services().chats.append(alice, chat_id, NewMessage(role='user', content=f'line {index}'))
    await user.open(f'/chat/{chat_id}')
    await user.should_see('line 79')
    await user.should_not_see('line 40')
    assert len(user.find(marker='message-text').elements) == 30
    user.find(marker='load-older').click()
    await user.should_see('line 40')
    assert len(user.find(marker='message-text').elements) == 60


async def test_sending_streams_the_reply_in_batched_deltas(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    await runtime.services().connections.create(alice, ConnectionFields(
        name='Fake', provider='openai', base_url=fake_openai.base_url, model='fake-model', is_default=True))
    fake_openai.script = Script(tokens=[f'w{i} ' for i in range(40)], delay=0.01)
    chat_id = await _chat(alice)
    appended: list[str] = []
    original = StreamingText.run_method

    def record(self: StreamingText, name: str, *args: object, **kwargs: object):
        appended.append(str(args[0]))
        return original(self, name, *args, **kwargs)

    StreamingText.run_method = record  # type: ignore[method-assign]
    try:
        await user.open(f'/chat/{chat_id}')
        user.find(marker='chat-input').type('Hi there')
        user.find(marker='send').click()
        await user.should_see('Hi there')
        await user.should_see('w39', retries=100)
    finally:
        StreamingText.run_method = original  # type: ignore[method-assign]
    assert ''.join(appended) == ''.join(f'w{i} ' for i in range(40))
    assert 1 <= len(appended) < 20
    stored = (await runtime.services().chats.messages(alice, chat_id)).items[-1]
    assert stored.status == 'complete' and stored.content.startswith('w0 w1')


async def test_edit_and_delete_a_message(user: User, login: Login) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice)
    await runtime.services().chats.append(alice, chat_id, NewMessage(role='user', content='typo heer'))
    await user.open(f'/chat/{chat_id}')
    user.find(marker='edit-message-1').click()
    user.find(marker='edit-text').clear().type('typo here')
    user.find(marker='save-edit').click()
    await user.should_see(marker='edit-message-1')
    assert (await runtime.services().chats.messages(alice, chat_id)).items[-1].content == 'typo here'
    user.find(marker='delete-message-1').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_not_see('typo here')
    assert len((await runtime.services().chats.messages(alice, chat_id)).items) == 1


async def test_another_users_chat_is_not_found(user: User, login: Login) -> None:
    owner = await runtime.services().accounts.register('owner', 'correct horse battery')
    chat_id = await _chat(owner)
    await login('bob')
    response = await user.http_client.get(f'/chat/{chat_id}')
    assert response.status_code == 404 and 'Hello' not in response.text


async def test_the_character_chat_link_opens_or_starts_a_chat(user: User, login: Login) -> None:
    alice = await login('alice', display_name='Alex')
    character = await runtime.services().characters.create(alice, CharacterFields(name='Mira', first_mes='Hi.'))
    await user.open(f'/characters/{character.id}/chat')
    await user.should_see('Hi.')
    chats = await runtime.services().chats.list_chats(alice, character_id=character.id)
    await user.open(f'/characters/{character.id}/chat')
    assert [c.id for c in await runtime.services().chats.list_chats(alice, character_id=character.id)] == \
        [c.id for c in chats]


async def test_the_library_tile_opens_a_chat(user: User, login: Login) -> None:
    alice = await login('alice')
    await runtime.services().characters.create(alice, CharacterFields(name='Mira', first_mes='Ahoy from the tile.'))
    await user.open('/')
    user.find(marker='tile-chat').click()
    await user.should_see('Ahoy from the tile.')


async def test_the_chat_list_starts_renames_searches_and_deletes_chats(user: User, login: Login) -> None:
    alice = await login('alice')
    first = await _chat(alice)
    await runtime.services().chats.rename(alice, first, 'First evening')
    await user.open(f'/chat/{first}')
    user.find(marker='new-chat').click()
    second = await _second_chat(alice, first)
    await user.open(f'/chat/{second}')
    await user.should_see(marker=f'chat-row-{first}')
    user.find(marker='chat-search').type('evening')
    await user.should_not_see(marker=f'chat-row-{second}')
    user.find(marker=f'rename-chat-{first}').click()
    user.find(marker='chat-title').clear().type('Storm night')
    user.find(marker='save-chat-title').click()
    await user.should_not_see(marker=f'chat-row-{first}')
    assert (await runtime.services().chats.get(alice, first)).title == 'Storm night'
    user.find(marker='chat-search').clear()
    await user.should_see('Storm night')
    user.find(marker=f'delete-chat-{first}').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_not_see('Storm night')
    assert [c.id for c in await runtime.services().chats.list_chats(alice)] == [second]


async def _second_chat(owner, first: str) -> str:
    """Wait until the page has started a new chat (the click runs asynchronously) and return its id."""
    for _ in range(100):
        others = [c.id for c in await runtime.services().chats.list_chats(owner) if c.id != first]
        if others:
            return others[0]
        await asyncio.sleep(0.05)
    raise AssertionError('no new chat was started')
