"""The chat history page (every chat, filter, search, bulk export and delete) and, on the chat page, the bookmark and
checkpoint buttons, the bookmarks panel, the branch tree and opening a chat at a message."""

import asyncio
import io
import json
import zipfile
from collections.abc import Awaitable, Callable

from nicegui.testing import User

from app import runtime
from app.db.models import Chat
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage

Login = Callable[..., Awaitable[Account]]


async def _chat(owner: Account, name: str, *texts: str) -> Chat:
    services = runtime.services()
    character = await services.characters.create(owner, CharacterFields(name=name, first_mes=f'{name} here.'))
    chat = await services.chats.start(owner, character.id)
    for text in texts:
        await services.chats.append(owner, chat.id, NewMessage(role='user', content=text))
    return await services.chats.get(owner, chat.id)


async def _should_be_outlined(user: User, marker: str) -> None:
    """Wait (like `should_see`) until the element with `marker` has the outline of a message opened from a link."""
    for _ in range(50):
        (element,) = user.find(marker=marker).elements
        if 'outline' in element.style:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f'{marker} is not outlined')


async def test_the_chats_page_lists_filters_and_searches(user: User, login: Login) -> None:
    alice = await login('alice')
    li = await _chat(alice, '李白', '我们明天去长城看日出吧')
    nox = await _chat(alice, 'Nox', 'Nothing about walls.')
    bob = await runtime.services().accounts.register('bob', 'correct horse battery')
    await _chat(bob, 'Bobby', 'bob also went to 长城')
    await user.open('/chats')
    await user.should_see(marker=f'chat-listing-{li.id}')
    await user.should_see(marker=f'chat-listing-{nox.id}')
    await user.should_see('2 messages')
    user.find(marker='character-filter').click()
    user.find('Nox').click()
    await user.should_not_see(marker=f'chat-listing-{li.id}')
    await user.should_see(marker=f'chat-listing-{nox.id}')
    user.find(marker='character-filter').click()
    user.find('All characters').click()

    user.find(marker='chat-search-input').type('长城').trigger('keydown.enter')
    await user.should_see(marker=f'search-chat-{li.id}')
    await user.should_not_see(marker=f'chat-listing-{nox.id}')
    await user.should_not_see('Bobby')
    await user.should_see('<mark>长城</mark>')
    (hit,) = (await runtime.services().chats.messages(alice, li.id)).items[1:]
    user.find(marker=f'search-hit-{hit.id}').click()
    await user.should_see('我们明天去长城看日出吧', retries=50)
    await user.should_see(marker='chat-input')
    await _should_be_outlined(user, f'message-{hit.seq}')


async def test_opening_at_an_old_message_loads_the_older_windows(user: User, login: Login) -> None:
    alice = await login('alice')
    chat = await _chat(alice, 'Mira', *[f'line {index}' for index in range(1, 80)])
    target = (await runtime.services().chats.messages(alice, chat.id, limit=200)).items[5]
    await user.open(f'/chat/{chat.id}?message={target.id}')
    await user.should_see('line 5')
    await _should_be_outlined(user, 'message-5')
    other = await _chat(alice, 'Nox', 'elsewhere')
    other_message = (await runtime.services().chats.messages(alice, other.id)).items[0]
    await user.open(f'/chat/{chat.id}?message={other_message.id}')
    await user.should_see('No such message.')


async def test_selected_chats_export_as_a_zip_and_delete_after_confirming(user: User, login: Login) -> None:
    alice = await login('alice')
    first = await _chat(alice, 'Mira', 'one')
    second = await _chat(alice, 'Nox', 'two', 'three')
    kept = await _chat(alice, 'Mira', 'kept')
    await runtime.services().chats.rename(alice, second.id, 'Nox: at night')
    await user.open('/chats')
    await user.should_see(marker=f'chat-listing-{kept.id}')
    user.find(marker=f'select-chat-{first.id}').click()
    user.find(marker=f'select-chat-{second.id}').click()
    await user.should_see('2 selected')
    user.find(marker='export-selected').click()
    download = await user.download.next(timeout=5)
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(archive.namelist()) == sorted([f'{first.title}.jsonl'.replace(':', '_'), 'Nox_ at night.jsonl'])
    for name in archive.namelist():
        lines = [json.loads(line) for line in archive.read(name).decode().split('\n')]
        assert 'chat_metadata' in lines[0] and lines[1]['mes'].endswith('here.')

    user.find(marker='delete-selected-chats').click()
    await user.should_see('Delete 2 chats and all their messages? This cannot be undone.')
    user.find(marker='confirm-cancel').click()
    await user.should_not_see(marker='confirm-cancel')
    assert len(await runtime.services().chats.list_chats(alice)) == 3
    user.find(marker='delete-selected-chats').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see('Deleted 2 chats.')
    await user.should_not_see(marker=f'chat-listing-{first.id}')
    assert [chat.id for chat in await runtime.services().chats.list_chats(alice)] == [kept.id]


async def test_bookmark_button_panel_and_jump(user: User, login: Login) -> None:
    alice = await login('alice')
    chat = await _chat(alice, 'Mira', 'first words', 'second words')
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='no-bookmarks')
    user.find(marker='bookmark-message-1').click()
    await user.should_see(marker='bookmark-1')
    stored = (await runtime.services().chats.messages(alice, chat.id)).items[1]
    assert stored.meta['bookmark'] == {'label': ''}
    user.find(marker='bookmark-relabel-1').click()
    user.find(marker='bookmark-label').type('the start')
    user.find(marker='save-bookmark-label').click()
    await user.should_see('the start')
    user.find(marker='bookmark-jump-1').click()
    await _should_be_outlined(user, 'message-1')
    user.find(marker='bookmark-message-1').click()
    await user.should_see(marker='no-bookmarks')
    assert 'bookmark' not in (await runtime.services().chats.messages(alice, chat.id)).items[1].meta


async def test_checkpoint_button_makes_a_linked_branch_shown_in_the_tree(user: User, login: Login) -> None:
    alice = await login('alice')
    chat = await _chat(alice, 'Mira', 'first words', 'second words')
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='no-branches')
    user.find(marker='checkpoint-message-1').click()
    await user.should_see(marker='checkpoint-name')
    name = user.find(marker='checkpoint-name')
    name.clear().type(chat.title)
    user.find(marker='save-checkpoint').click()
    await user.should_see(f'This character already has a chat named "{chat.title}". Choose another name.')
    name.clear().type('Before the walls')
    user.find(marker='save-checkpoint').click()
    await user.should_see('Checkpoint "Before the walls" created.')
    await user.should_see(marker='checkpoint-open-1')
    (checkpoint,) = [c for c in await runtime.services().chats.list_chats(alice) if c.id != chat.id]
    await user.should_see(marker=f'chat-tree-node-{checkpoint.id}')
    await user.should_see(marker='chat-tree-current')
    user.find(marker='checkpoint-open-1').click()
    await user.should_see(marker='no-bookmarks', retries=50)
    await user.should_see(marker=f'chat-tree-node-{chat.id}')
    current = user.find(marker='chat-tree-current').elements
    assert [element.props['href'] for element in current] == [f'/chat/{checkpoint.id}']
