import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import Persona
from app.db.models import User as Account
from app.services.media import thumbnail_url
from app.services.personas import PersonaFields
from tests.support.images import png_bytes

Login = Callable[..., Awaitable[Account]]


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


async def _upload(user: User, name: str, content_type: str, data: bytes) -> None:
    upload = _element(user, 'avatar-upload')
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, content_type, data)])


async def _open_dialog(user: User, button: str) -> None:
    user.find(marker=button).click()
    await user.should_see(marker='persona-name-input')


async def _personas(owner: Account) -> list[Persona]:
    return await runtime.services().personas.list(owner)


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(40):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the condition never became true')


async def test_add_edit_and_delete_a_persona(user: User, login: Login) -> None:
    owner = await login('alice', display_name='Alice Liddell')
    await user.open('/personas')
    await user.should_see(marker='no-personas')
    await user.should_see('your display name (Alice Liddell) is used')

    await _open_dialog(user, 'add-persona')
    user.find(marker='persona-name-input').type('Ash')
    user.find(marker='persona-description-input').type('A wandering bard who plays the lute.')
    await _upload(user, 'ash.png', 'image/png', png_bytes())
    user.find(marker='persona-default-input').click()
    user.find(marker='save-persona').click()
    await user.should_see(marker='persona-card')
    (persona,) = await _personas(owner)
    assert (persona.name, persona.description, persona.is_default) == ('Ash', 'A wandering bard who plays the lute.',
                                                                        True)
    assert persona.avatar_hash and _element(user, 'avatar-image').source == thumbnail_url(persona.avatar_hash)
    await user.should_see(marker='persona-default')
    await user.should_see('A wandering bard who plays the lute.')

    await _open_dialog(user, 'edit-persona')
    user.find(marker='persona-name-input').clear().type('Ash the Bard')
    user.find(marker='persona-default-input').click()
    user.find(marker='save-persona').click()
    await user.should_see(marker='persona-name', content='Ash the Bard')
    await user.should_not_see(marker='persona-default')
    (edited,) = await _personas(owner)
    assert (edited.name, edited.is_default, edited.avatar_hash) == ('Ash the Bard', False, persona.avatar_hash)

    user.find(marker='delete-persona').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='no-personas')
    assert await _personas(owner) == []


async def test_cancel_keeps_everything_as_it_was(user: User, login: Login) -> None:
    owner = await login()
    await runtime.services().personas.create(owner, PersonaFields(name='Ash'))
    await user.open('/personas')
    await _open_dialog(user, 'edit-persona')
    user.find(marker='persona-name-input').clear().type('Changed')
    await _upload(user, 'ash.png', 'image/png', png_bytes())
    user.find(marker='dialog-cancel').click()
    await user.should_not_see(marker='persona-name-input')
    (persona,) = await _personas(owner)
    assert (persona.name, persona.avatar_hash) == ('Ash', None)


async def test_a_missing_name_and_a_text_file_are_explained(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/personas')
    await _open_dialog(user, 'add-persona')
    await _upload(user, 'notes.txt', 'text/plain', b'just some text, not a picture')
    await user.should_see(marker='avatar-error', content='This file is not an image.')
    user.find(marker='save-persona').click()
    await _eventually(lambda: _has_error(user, 'Enter a name.'))
    assert await _personas(owner) == []


async def _has_error(user: User, text: str) -> bool:
    return _element(user, 'persona-name-input').error == text
