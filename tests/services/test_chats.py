import pytest

from app.db.models import User
from app.errors import InvalidInputError, NotFoundError
from app.services.character_card import CharacterFields
from app.services.characters import CharacterQuery
from app.services.chats import NewMessage
from app.services.container import Services

PASSWORD = 'correct horse battery'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


async def _character(services: Services, owner: User, **fields: object):
    return await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello, {{user}}!',
                                                                   alternate_greetings=['Hi again.', ' '], **fields))


async def test_a_new_chat_starts_with_the_greeting_and_alternates_as_swipes(services: Services, alice: User) -> None:
    character = await _character(services, alice)
    chat = await services.chats.start(alice, character.id)
    page = await services.chats.messages(alice, chat.id)
    assert [(m.seq, m.role, m.name, m.content, m.swipes) for m in page.items] == \
        [(0, 'assistant', 'Mira', 'Hello, {{user}}!', ['Hello, {{user}}!', 'Hi again.'])]
    assert not page.has_older and chat.message_count == 1


async def test_a_character_without_greeting_starts_empty(services: Services, alice: User) -> None:
    character = await services.characters.create(alice, CharacterFields(name='Quiet'))
    chat = await services.chats.start(alice, character.id)
    assert (await services.chats.messages(alice, chat.id)).items == []


async def test_messages_page_backwards_in_windows(services: Services, alice: User) -> None:
    chat = await services.chats.start(alice, (await _character(services, alice)).id)
    for index in range(1, 121):
        await services.chats.append(alice, chat.id, NewMessage(role='user' if index % 2 else 'assistant',
                                                               content=f'message {index}'))
    newest = await services.chats.messages(alice, chat.id, limit=50)
    assert [m.seq for m in newest.items] == list(range(71, 121)) and newest.has_older
    older = await services.chats.messages(alice, chat.id, before_seq=newest.items[0].seq, limit=50)
    assert [m.seq for m in older.items] == list(range(21, 71))
    oldest = await services.chats.messages(alice, chat.id, before_seq=older.items[0].seq, limit=50)
    assert [m.seq for m in oldest.items] == list(range(21)) and not oldest.has_older
    assert (await services.chats.get(alice, chat.id)).message_count == 121


async def test_edit_swipe_and_add_swipe(services: Services, alice: User) -> None:
    chat = await services.chats.start(alice, (await _character(services, alice)).id)
    greeting = (await services.chats.messages(alice, chat.id)).items[0]
    swiped = await services.chats.swipe(alice, greeting.id, 1)
    assert (swiped.swipe_index, swiped.content) == (1, 'Hi again.')
    assert (await services.chats.swipe(alice, greeting.id, 1)).swipe_index == 1
    edited = await services.chats.edit(alice, greeting.id, 'Hi again, friend.')
    assert edited.swipes == ['Hello, {{user}}!', 'Hi again, friend.']
    added = await services.chats.add_swipe(alice, greeting.id, 'A third greeting.')
    assert (added.swipe_index, added.content, len(added.swipes)) == (2, 'A third greeting.', 3)
    back = await services.chats.swipe(alice, greeting.id, -1)
    assert back.content == 'Hi again, friend.'


async def test_delete_messages_and_branch(services: Services, alice: User) -> None:
    chat = await services.chats.start(alice, (await _character(services, alice)).id)
    rows = [await services.chats.append(alice, chat.id, NewMessage(role='user', content=f'm{i}')) for i in range(4)]
    assert await services.chats.delete_messages(alice, chat.id, [rows[1].id, rows[2].id]) == 2
    remaining = (await services.chats.messages(alice, chat.id)).items
    assert [m.content for m in remaining] == ['Hello, {{user}}!', 'm0', 'm3']
    assert (await services.chats.get(alice, chat.id)).message_count == 3
    branch = await services.chats.branch(alice, chat.id, rows[0].seq)
    assert [m.content for m in (await services.chats.messages(alice, branch.id)).items] == ['Hello, {{user}}!', 'm0']
    assert branch.title.endswith('(branch)') and branch.message_count == 2
    nxt = await services.chats.append(alice, chat.id, NewMessage(role='assistant', content='after'))
    assert nxt.seq == rows[3].seq + 1


async def test_list_rename_search_delete_and_most_chatted_sort(services: Services, alice: User) -> None:
    mira = await _character(services, alice)
    await services.characters.create(alice, CharacterFields(name='Other'))
    first = await services.chats.start(alice, mira.id)
    await services.chats.start(alice, mira.id)
    await services.chats.rename(alice, first.id, 'The  lighthouse   night')
    assert [c.title for c in await services.chats.list_chats(alice, query='LIGHTHOUSE')] == ['The lighthouse night']
    assert len(await services.chats.list_chats(alice, character_id=mira.id)) == 2
    ranked = await services.characters.search(alice, CharacterQuery(sort='chats'))
    assert [(item.name, item.chat_count) for item in ranked.items] == [('Mira', 2), ('Other', 0)]
    with pytest.raises(InvalidInputError):
        await services.chats.rename(alice, first.id, '   ')
    await services.chats.delete(alice, first.id)
    assert len(await services.chats.list_chats(alice, character_id=mira.id)) == 1


async def test_other_users_chats_and_messages_are_not_found(services: Services, alice: User) -> None:
    chat = await services.chats.start(alice, (await _character(services, alice)).id)
    greeting = (await services.chats.messages(alice, chat.id)).items[0]
    bob = await services.accounts.register('bob', PASSWORD)
    for attempt in (services.chats.get(bob, chat.id), services.chats.messages(bob, chat.id),
                    services.chats.edit(bob, greeting.id, 'x'), services.chats.swipe(bob, greeting.id, 1),
                    services.chats.delete_messages(bob, chat.id, [greeting.id]),
                    services.chats.append(bob, chat.id, NewMessage(role='user', content='x'))):
        with pytest.raises(NotFoundError):
            await attempt
    with pytest.raises(NotFoundError):
        await services.chats.start(bob, chat.character_id)


async def test_deleting_a_character_deletes_its_chats(services: Services, alice: User) -> None:
    mira = await _character(services, alice)
    chat = await services.chats.start(alice, mira.id)
    await services.characters.delete(alice, mira.id)
    with pytest.raises(NotFoundError):
        await services.chats.get(alice, chat.id)
