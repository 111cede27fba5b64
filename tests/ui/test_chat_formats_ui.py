"""The chat list panel's import accepts other apps' .json chats; a file with several chats says how many it made."""

from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.services.character_card import CharacterFields
from tests.services.test_chat_formats import CAI_TOOLS, json_bytes

Login = Callable[..., Awaitable]


async def test_a_cai_tools_file_imports_as_two_chats_of_the_current_character(user: User, login: Login) -> None:
    alice = await login('alice')
    services = runtime.services()
    character = await services.characters.create(alice, CharacterFields(name='Raiden Shogun', first_mes='Ahoy.'))
    chat = await services.chats.start(alice, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see('Ahoy.')
    user.find(marker='import-chat').click()
    await user.should_see('SillyTavern or Chub (.jsonl), CAI Tools, oobabooga, Agnai, KoboldAI Lite or RisuAI (.json)')
    (upload,) = user.find(marker='chat-import-upload').elements
    assert isinstance(upload, ui.upload) and {'.jsonl', '.json'} <= set(upload.props['accept'].split(','))
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('Raiden.json', 'application/json',
                                                               json_bytes(CAI_TOOLS))])
    await user.should_see('Imported 2 chats with 5 messages.')
    chats = await services.chats.list_chats(alice, character_id=character.id)
    assert sorted(item.title for item in chats if item.id != chat.id) == ['Raiden (1)', 'Raiden (2)']
    await user.should_see('我是雷电将军。')
