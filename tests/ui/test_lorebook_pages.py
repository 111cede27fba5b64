"""The lorebooks page (import with a result per file, global switch, new, delete, world-info settings), the editor
(search, every field of an entry, add, duplicate, delete, bulk edits) and the lorebook choices on the character
editor, the chat side panel and the personas page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.lorebooks.schemas import LorebookFields
from app.services.personas import PersonaFields
from app.services.world_info.entry import POSITION_AT_DEPTH, ROLE_ASSISTANT
from tests.support.compat import COMPAT_DIR

Login = Callable[..., Awaitable[Account]]
TAROT = COMPAT_DIR / 'community/worlds/塔罗牌v1.3.0.json'
TAROT_NAME = '塔罗牌v1.3.0'


def _element(user: User, marker: str) -> Any:
    (element,) = user.find(marker=marker).elements
    return element


def _set(user: User, marker: str, value: object) -> None:
    """Choose a value the way the browser does: the element's value changes and its handlers run."""
    with user:
        _element(user, marker).value = value


async def _import_tarot(owner: Account) -> str:
    result = await runtime.services().lorebooks.import_file(owner, TAROT.name, TAROT.read_bytes())
    assert result.lorebook_id is not None
    return result.lorebook_id


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(40):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the condition never became true')


async def _upload(user: User, *files: tuple[str, bytes]) -> None:
    upload = _element(user, 'lorebook-import-upload')
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/json', data)
                                     for name, data in files])


async def test_import_toggle_and_delete_on_the_lorebooks_page(user: User, login: Login) -> None:
    alice = await login()
    lorebooks = runtime.services().lorebooks
    await user.open('/lorebooks')
    await user.should_see(marker='no-lorebooks')
    user.find(marker='import-lorebooks').click()
    await user.should_see('Import lorebooks')
    await _upload(user, (TAROT.name, TAROT.read_bytes()), ('notes.json', b'{"title": "not a book"}'))
    await user.should_see('1 imported, 1 failed.', retries=50)
    await user.should_see(f'Imported as {TAROT_NAME} with 9 entries.')
    await user.should_see('Not imported: This file holds no lorebook')
    user.find(marker='lorebook-import-close').click()
    await user.should_see(marker='lorebook-name', content=TAROT_NAME)
    await user.should_see('9 entries')

    (book,) = await lorebooks.list(alice)
    user.find(marker='lorebook-global').click()
    await user.should_see(f'{TAROT_NAME} is now active in all chats.')
    assert await lorebooks.global_book_ids(alice) == [book.id]

    user.find(marker='delete-lorebook').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='no-lorebooks')
    assert await lorebooks.list(alice) == []


async def test_new_lorebook_opens_the_editor(user: User, login: Login) -> None:
    alice = await login()
    await user.open('/lorebooks')
    user.find(marker='new-lorebook').click()
    user.find(marker='create-lorebook').click()
    await user.should_see('Enter a name (at most 200 characters).')
    user.find(marker='new-lorebook-name').type('Harbour Town')
    user.find(marker='create-lorebook').click()
    await user.should_see(marker='lorebook-title', content='Harbour Town')
    await user.should_see('0 entries')
    assert [book.name for book in await runtime.services().lorebooks.list(alice)] == ['Harbour Town']


async def test_world_info_settings_form(user: User, login: Login) -> None:
    alice = await login()
    await user.open('/lorebooks')
    _element(user, 'settings-panel').open()
    user.find(marker='setting-scan_depth').clear().type('5')
    user.find(marker='setting-budget_cap').clear().type('900')
    user.find(marker='setting-recursive').click()
    _set(user, 'setting-character_strategy', 2)
    user.find(marker='save-settings').click()
    await user.should_see('World Info settings saved.')
    settings = await runtime.services().lorebooks.world_info_settings(alice)
    assert (settings.scan_depth, settings.budget_cap, settings.recursive, settings.character_strategy) == \
        (5, 900, True, 2)

    user.find(marker='setting-budget_percent').clear().type('0')
    user.find(marker='save-settings').click()
    await user.should_see('Budget (% of context) is out of range.')
    assert (await runtime.services().lorebooks.world_info_settings(alice)).budget_percent == 25


async def test_editor_search_and_edit_every_kind_of_field(user: User, login: Login) -> None:
    alice = await login()
    book_id = await _import_tarot(alice)
    lorebooks = runtime.services().lorebooks
    entries = await lorebooks.entries(alice, book_id)
    target = next(entry for entry in entries if entry.comment)
    await user.open(f'/lorebooks/{book_id}')
    await user.should_see(marker='lorebook-title', content=TAROT_NAME)
    await user.should_see('9 entries')
    user.find(marker='entry-search').type(target.comment)
    await user.should_see(marker='entry-count', content='1 entries', retries=50)
    await user.should_see(marker=f'entry-{target.uid}')

    _element(user, f'entry-{target.uid}').open()
    await user.should_see(marker=f'entry-form-{target.uid}')
    _set(user, 'entry-keys', ['命运之轮', 'Wheel'])
    _set(user, 'entry-position', POSITION_AT_DEPTH)
    user.find(marker='entry-depth').clear().type('2')
    _set(user, 'entry-role', ROLE_ASSISTANT)
    _set(user, 'entry-case_sensitive', 'yes')
    _set(user, 'entry-triggers', ['normal', 'continue'])
    _set(user, 'entry-status', 'constant')
    user.find(marker='entry-sticky').type('3')
    user.find(marker='entry-group').type('arcana')
    user.find(marker='entry-exclude_recursion').click()
    user.find(marker='entry-match_scenario').click()
    user.find(marker='entry-content').clear().type('The wheel turns.')
    await user.should_see('About 4 tokens')
    user.find(marker=f'save-entry-{target.uid}').click()
    await user.should_see('Entry saved.')

    saved = await lorebooks.entry(alice, book_id, target.uid)
    assert (saved.key, saved.position, saved.depth, saved.role, saved.case_sensitive, saved.triggers) == \
        (['命运之轮', 'Wheel'], POSITION_AT_DEPTH, 2, ROLE_ASSISTANT, True, ['normal', 'continue'])
    assert (saved.constant, saved.sticky, saved.group, saved.exclude_recursion, saved.match_scenario,
            saved.content) == (True, 3, 'arcana', True, True, 'The wheel turns.')
    assert (saved.comment, saved.order, saved.probability) == (target.comment, target.order, target.probability)
    untouched = {key: value for key, value in target.to_st().items()
                 if key not in {'key', 'position', 'depth', 'role', 'caseSensitive', 'triggers', 'constant',
                                'sticky', 'group', 'excludeRecursion', 'matchScenario', 'content'}}
    assert {key: saved.to_st()[key] for key in untouched} == untouched

    user.find(marker='entry-probability').clear().type('150')
    user.find(marker=f'save-entry-{target.uid}').click()
    await user.should_see('Check the field probability')
    assert (await lorebooks.entry(alice, book_id, target.uid)).probability == target.probability


async def test_editor_adds_duplicates_and_deletes_entries(user: User, login: Login) -> None:
    alice = await login()
    lorebooks = runtime.services().lorebooks
    book = await lorebooks.create(alice, LorebookFields(name='Atlas'))
    await user.open(f'/lorebooks/{book.id}')
    await user.should_see('0 entries')
    user.find(marker='add-entry').click()
    await user.should_see(marker='entry-form-0')
    user.find(marker='entry-comment').type('Harbour')
    user.find(marker='save-entry-0').click()
    await user.should_see('Entry saved.')
    user.find(marker='duplicate-entry-0').click()
    await user.should_see(marker='entry-form-1')
    assert [entry.comment for entry in await lorebooks.entries(alice, book.id)] == ['Harbour', 'Harbour']
    _element(user, 'entry-0').open()
    user.find(marker='delete-entry-0').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see('1 entries')
    assert [entry.uid for entry in await lorebooks.entries(alice, book.id)] == [1]


async def test_bulk_edit_in_the_editor(user: User, login: Login) -> None:
    alice = await login()
    book_id = await _import_tarot(alice)
    lorebooks = runtime.services().lorebooks
    uids = [entry.uid for entry in await lorebooks.entries(alice, book_id)]
    await user.open(f'/lorebooks/{book_id}')
    await user.should_see('0 selected')
    assert not _element(user, 'bulk-disable').enabled
    user.find(marker=f'select-entry-{uids[0]}').click()
    user.find(marker=f'select-entry-{uids[1]}').click()
    await user.should_see('2 selected')
    user.find(marker='bulk-disable').click()
    await user.should_see('2 entries changed.')
    assert [entry.uid for entry in await lorebooks.entries(alice, book_id) if entry.disable] == uids[:2]

    _set(user, 'bulk-position', POSITION_AT_DEPTH)
    user.find(marker='bulk-set-position').click()
    user.find(marker='bulk-order').type('42')
    user.find(marker='bulk-set-order').click()

    async def both_changed() -> bool:
        changed = [(entry.position, entry.order) for entry in await lorebooks.entries(alice, book_id)
                   if entry.uid in uids[:2]]
        return changed == [(POSITION_AT_DEPTH, 42)] * 2

    await _eventually(both_changed)

    user.find(marker='select-all').click()
    await user.should_see('9 selected')
    user.find(marker='bulk-delete').click()
    await user.should_see('Delete the 9 selected entries?')
    user.find(marker='confirm-ok').click()
    await user.should_see('0 entries')
    assert await lorebooks.entries(alice, book_id) == []


async def test_lorebook_choices_for_character_chat_and_persona(user: User, login: Login) -> None:
    alice = await login()
    services = runtime.services()
    book_id = await _import_tarot(alice)
    second = (await services.lorebooks.create(alice, LorebookFields(name='Atlas'))).id
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    chat = await services.chats.start(alice, character.id)
    persona = await services.personas.create(alice, PersonaFields(name='Ash'))

    await user.open(f'/characters/{character.id}')
    await user.should_see(marker='character-lorebooks')
    _set(user, 'character-lorebook', book_id)
    await user.should_see('Lorebook choice saved.')
    _set(user, 'character-extra-lorebooks', [second])

    async def both_bound() -> bool:
        return await services.lorebooks.character_book_ids(alice, character.id) == [book_id, second]

    await _eventually(both_bound)

    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='chat-lorebook')
    _set(user, 'chat-lorebook', second)

    async def chat_bound() -> bool:
        return await services.lorebooks.chat_book_id(alice, chat.id) == second

    await _eventually(chat_bound)

    await user.open('/personas')
    await user.should_see(marker='persona-lorebook')
    _set(user, 'persona-lorebook', book_id)

    async def persona_bound() -> bool:
        return await services.lorebooks.persona_book_id(alice, persona.id) == book_id

    await _eventually(persona_bound)
    sources = await services.lorebooks.books_for_chat(alice, await services.chats.get(alice, chat.id))
    assert [(source.name, source.scope) for source in sources] == [('Atlas', 'chat'), (TAROT_NAME, 'character')]


async def test_another_users_lorebook_is_not_found(user: User, login: Login) -> None:
    alice = await runtime.services().accounts.register('alice', 'correct horse battery', by_admin=True)
    book_id = await _import_tarot(alice)
    await login('bob')
    response = await user.http_client.get(f'/lorebooks/{book_id}')
    assert response.status_code == 404
    assert 'No such lorebook.' in response.text
    assert '洗牌' not in response.text
