"""The chat list panel imports a SillyTavern chat into the current character and exports chats through REST."""

import json
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.services.character_card import CharacterFields
from tests.support.compat_chats import compat_chat

Login = Callable[..., Awaitable]


async def _open_chat(user: User, owner) -> tuple[str, str]:
    services = runtime.services()
    character = await services.characters.create(owner, CharacterFields(name='Claude', first_mes='Ahoy.'))
    chat = await services.chats.start(owner, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see('Ahoy.')
    return character.id, chat.id


async def _upload(user: User, filename: str, data: bytes) -> None:
    user.find(marker='import-chat').click()
    (upload,) = user.find(marker='chat-import-upload').elements
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(filename, 'application/jsonl', data)])


async def test_import_a_chat_into_the_current_character_and_export_it(user: User, login: Login) -> None:
    alice = await login('alice')
    character_id, first_chat = await _open_chat(user, alice)
    compat = compat_chat('Claude')
    await _upload(user, compat.filename, compat.data())
    await user.should_see('Imported 10 messages.')
    chats = await runtime.services().chats.list_chats(alice, character_id=character_id)
    imported = next(chat for chat in chats if chat.id != first_chat)
    await user.should_see(marker=f'chat-row-{imported.id}')
    await user.should_see(compat.message_objects()[-1]['mes'][:40])

    user.find(marker=f'export-jsonl-{imported.id}').click()
    download = await user.download.next()
    assert download.status_code == 200 and 'filename*=UTF-8' in download.headers['content-disposition']
    assert [json.loads(line) for line in download.text.split('\n')] == compat.objects()
    user.find(marker=f'export-txt-{imported.id}').click()
    assert (await user.download.next()).text.startswith('Melissa: ')
    again = await runtime.services().chat_import.import_jsonl(alice, download.content, 'again.jsonl', character_id)
    assert again.message_count == 10


async def test_a_broken_file_shows_the_reason_and_stores_nothing(user: User, login: Login) -> None:
    alice = await login('alice')
    character_id, _ = await _open_chat(user, alice)
    await _upload(user, 'broken.jsonl', b'{"mes":"fine"}\nthis is not json')
    await user.should_see('Line 2 is not a JSON object. Each line of a SillyTavern chat is one message.')
    assert len(await runtime.services().chats.list_chats(alice, character_id=character_id)) == 1
