import asyncio
from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import Character
from app.db.models import User as Account
from app.errors import NotFoundError
from app.services.character_card import CharacterFields, fields_of
from app.services.characters import CharacterQuery
from app.services.media import avatar_url
from tests.support.images import png_bomb, png_bytes
from tests.ui.conftest import PASSWORD

Login = Callable[..., Awaitable[Account]]
ALL_TEXT_FIELDS = {
    'name': '小雨',
    'nickname': '雨雨',
    'description': '{{char}} is a quiet student who loves rainy days.',
    'personality': 'shy, kind, observant',
    'scenario': 'An empty classroom after school; rain outside.',
    'first_mes': '*looks up from her book* Oh, hello.',
    'mes_example': '<START>\n{{user}}: Hi!\n{{char}}: *blushes* H-hi.',
    'system_prompt': 'You are {{char}}. Stay in character.',
    'post_history_instructions': 'Keep replies under 100 words.',
    'creator_notes': '一个喜欢下雨天的安静女孩。',
    'creator': 'alice',
    'character_version': '1.2',
}


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _set(user: User, marker: str, value: object) -> None:
    """Set a value the way the browser would (for elements the simulated user cannot type into)."""
    with user:
        _element(user, marker).value = value


async def _upload(user: User, name: str, content_type: str, data: bytes) -> None:
    upload = _element(user, 'avatar-upload')
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, content_type, data)])


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(40):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the condition never became true')


async def _characters(owner: Account) -> list[Character]:
    services = runtime.services()
    summaries = (await services.characters.search(owner, CharacterQuery())).items
    return [await services.characters.get(owner, summary.id) for summary in summaries]


async def test_create_with_all_fields_then_it_is_in_the_library(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/characters/new')
    for name, value in ALL_TEXT_FIELDS.items():
        user.find(marker=f'field-{name}').type(value)
    _set(user, 'field-tags', ['校园', 'slice of life'])
    user.find(marker='greeting-add').click()
    user.find(marker='greeting-0').type('Another rainy day, huh?')
    user.find(marker='editor-save').click()
    await user.should_see(marker='editor-delete')
    (character,) = await _characters(owner)
    fields = fields_of(character.card)
    assert fields.model_dump() == {**ALL_TEXT_FIELDS, 'tags': ['校园', 'slice of life'],
                                   'alternate_greetings': ['Another rainy day, huh?']}
    assert _element(user, 'field-personality').value == ALL_TEXT_FIELDS['personality']
    await user.open('/')
    await user.should_see(marker='tile-name', content='小雨')
    await user.should_see('一个喜欢下雨天的安静女孩。')


async def test_empty_name_is_shown_next_to_the_field(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/characters/new')
    user.find(marker='field-description').type('nameless')
    user.find(marker='editor-save').click()
    await user.should_see('Name is required.')
    assert _element(user, 'field-name').error == 'Name is required.'
    assert await _characters(owner) == []


async def test_double_click_on_save_creates_one_character(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/characters/new')
    user.find(marker='field-name').type('小雨')
    user.find(marker='editor-save').click()
    user.find(marker='editor-save').click()
    await user.should_see(marker='editor-delete')
    assert [character.name for character in await _characters(owner)] == ['小雨']


async def test_edits_are_kept_after_reopening(user: User, login: Login) -> None:
    owner = await login()
    character = await runtime.services().characters.create(owner, CharacterFields(name='Mira', tags=['mage']))
    await user.open(f'/characters/{character.id}')
    user.find(marker='field-scenario').type('A tower full of books.')
    user.find(marker='field-name').clear().type('Mira the Wise  ')
    _set(user, 'field-tags', ['mage', 'scholar'])
    user.find(marker='editor-save').click()
    await user.should_see('Saved.')
    await user.open(f'/characters/{character.id}')
    assert _element(user, 'field-name').value == 'Mira the Wise'
    assert _element(user, 'field-scenario').value == 'A tower full of books.'
    assert _element(user, 'field-tags').value == ['mage', 'scholar']
    await user.should_see(marker='editor-title', content='Mira the Wise')


async def test_alternate_greetings_add_remove_and_reorder_persist(user: User, login: Login) -> None:
    owner = await login()
    fields = CharacterFields(name='Rook', alternate_greetings=['one', 'two', 'three'])
    character = await runtime.services().characters.create(owner, fields)
    await user.open(f'/characters/{character.id}')
    user.find(marker='greeting-down-0').click()
    user.find(marker='greeting-remove-2').click()
    user.find(marker='greeting-add').click()
    user.find(marker='greeting-2').type('four')
    user.find(marker='greeting-up-2').click()
    assert [_element(user, f'greeting-{index}').value for index in range(3)] == ['two', 'four', 'one']
    user.find(marker='editor-save').click()
    await user.should_see('Saved.')
    stored = await runtime.services().characters.get(owner, character.id)
    assert fields_of(stored.card).alternate_greetings == ['two', 'four', 'one']
    await user.open(f'/characters/{character.id}')
    assert [_element(user, f'greeting-{index}').value for index in range(3)] == ['two', 'four', 'one']
    await user.should_not_see(marker='greeting-3')


async def test_avatar_upload_accepts_png_and_refuses_text(user: User, login: Login) -> None:
    owner = await login()
    character = await runtime.services().characters.create(owner, CharacterFields(name='小雨'))
    await user.open(f'/characters/{character.id}')
    await user.should_see(marker='avatar-placeholder')
    await _upload(user, 'notes.txt', 'text/plain', b'just some text, not a picture')
    await user.should_see('This file is not an image.')
    assert (await runtime.services().characters.get(owner, character.id)).avatar_hash is None
    await _upload(user, 'avatar.png', 'image/png', png_bytes())
    await user.should_see('Picture saved.')
    stored = await runtime.services().characters.get(owner, character.id)
    assert stored.avatar_hash
    image = _element(user, 'avatar-image')
    assert isinstance(image, ui.image)
    assert image.source == avatar_url(stored.avatar_hash)
    assert _element(user, 'avatar-error').text == ''


async def test_avatar_chosen_before_first_save_is_applied(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/characters/new')
    await _upload(user, 'avatar.png', 'image/png', png_bytes())
    await user.should_see(marker='avatar-image')
    await user.should_see(marker='unsaved-badge')
    user.find(marker='field-name').type('小雨')
    user.find(marker='editor-save').click()
    await user.should_see(marker='editor-delete')
    (character,) = await _characters(owner)
    assert character.avatar_hash
    assert _element(user, 'avatar-image').source == avatar_url(character.avatar_hash)


async def test_new_character_refuses_a_text_file_as_avatar(user: User, login: Login) -> None:
    await login()
    await user.open('/characters/new')
    await _upload(user, 'notes.txt', 'text/plain', b'hello')
    await user.should_see('Use a PNG, JPEG or WebP image.')
    await user.should_not_see(marker='avatar-image')
    await user.should_not_see(marker='unsaved-badge')


async def test_refused_picture_of_a_new_character_is_reported_after_saving(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/characters/new')
    await _upload(user, 'huge.png', 'image/png', png_bomb())
    user.find(marker='field-name').type('小雨')
    user.find(marker='editor-save').click()
    await user.should_see('The character was saved, but its picture was refused.')
    (character,) = await _characters(owner)
    assert character.name == '小雨'
    assert character.avatar_hash is None


async def test_delete_asks_for_confirmation(user: User, login: Login) -> None:
    owner = await login()
    character = await runtime.services().characters.create(owner, CharacterFields(name='小雨'))
    await user.open(f'/characters/{character.id}')
    user.find(marker='editor-delete').click()
    await user.should_see('Delete 小雨?')
    user.find(marker='confirm-cancel').click()
    await user.should_not_see(marker='confirm-question')
    assert await runtime.services().characters.get(owner, character.id)
    user.find(marker='editor-delete').click()
    await user.should_see(marker='confirm-question')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='empty-state')

    async def deleted() -> bool:
        try:
            await runtime.services().characters.get(owner, character.id)
        except NotFoundError:
            return True
        return False
    await _eventually(deleted)


async def test_unsaved_changes_badge_and_leave_confirmation(user: User, login: Login) -> None:
    owner = await login()
    character = await runtime.services().characters.create(owner, CharacterFields(name='Mira'))
    await user.open(f'/characters/{character.id}')
    await user.should_not_see(marker='unsaved-badge')
    user.find(marker='field-personality').type('curious')
    await user.should_see(marker='unsaved-badge')
    user.find(marker='editor-back').click()
    await user.should_see('You have unsaved changes. Leave and discard them?')
    user.find(marker='confirm-cancel').click()
    await user.should_see(marker='field-personality')
    assert _element(user, 'field-personality').value == 'curious'
    user.find(marker='field-personality').clear()
    await user.should_not_see(marker='unsaved-badge')
    user.find(marker='field-personality').type('bold')
    user.find(marker='editor-save').click()
    await user.should_not_see(marker='unsaved-badge')
    user.find(marker='editor-back').click()
    await user.should_see(marker='character-grid')
    await user.should_not_see(marker='confirm-question')
    user.find(marker='tile-name', content='Mira').click()
    await user.should_see(marker='field-personality')
    user.find(marker='field-personality').type(' and loud')
    user.find(marker='editor-back').click()
    await user.should_see(marker='confirm-question')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='character-grid')
    stored = await runtime.services().characters.get(owner, character.id)
    assert fields_of(stored.card).personality == 'bold'


@pytest.mark.parametrize('locale', ['en', 'zh-CN'])
async def test_other_users_character_is_not_found(user: User, login: Login, locale: str) -> None:
    alice = await runtime.services().accounts.register('alice', PASSWORD)
    secret = await runtime.services().characters.create(alice, CharacterFields(name='Secret Sigrid'))
    bob = await login('bob')
    await runtime.services().accounts.update_preferences(bob.id, locale=locale)
    response = await user.http_client.get(f'/characters/{secret.id}')
    assert response.status_code == 404
    expected = {'en': 'This character does not exist', 'zh-CN': '该角色不存在'}[locale]
    assert expected in response.text
    assert 'Secret Sigrid' not in response.text
