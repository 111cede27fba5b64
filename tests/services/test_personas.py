import pytest
from pydantic import ValidationError

from app.db.models import Chat, User
from app.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from app.services.character_card import CharacterFields
from app.services.container import Services
from app.services.personas import PersonaFields, PersonaRead, PersonaService, PersonaUpdate
from tests.support.images import png_bomb, png_bytes

PASSWORD = 'correct horse battery'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


def personas(services: Services) -> PersonaService:
    return services.personas


def test_fields_are_checked() -> None:
    assert PersonaFields(name='  Ash  ').name == 'Ash'
    for invalid in ({'name': '   '}, {'name': 'x' * 201}, {'name': 'Ash', 'description': 'x' * 20_001}):
        with pytest.raises(ValidationError):
            PersonaFields(**invalid)
    assert len(PersonaFields(name='Ash', description='x' * 20_000).description) == 20_000


async def test_create_get_update_and_list_default_first(services: Services, alice: User) -> None:
    service = personas(services)
    zoe = await service.create(alice, PersonaFields(name='Zoe', description='A night-shift nurse.'))
    await service.create(alice, PersonaFields(name='ash'))
    assert [p.name for p in await service.list(alice)] == ['ash', 'Zoe']
    assert await service.default(alice) is None

    updated = await service.update(alice, zoe.id, PersonaUpdate(is_default=True))
    assert (updated.name, updated.description, updated.is_default) == ('Zoe', 'A night-shift nurse.', True)
    assert updated.updated_at >= zoe.updated_at
    assert [p.name for p in await service.list(alice)] == ['Zoe', 'ash']
    renamed = await service.update(alice, zoe.id, PersonaUpdate(name=' Zoë ', description=''))
    assert (await service.get(alice, zoe.id)).name == renamed.name == 'Zoë'
    assert renamed.description == '' and renamed.is_default


async def test_only_one_persona_is_the_default(services: Services, alice: User) -> None:
    service = personas(services)
    first = await service.create(alice, PersonaFields(name='First', is_default=True))
    second = await service.create(alice, PersonaFields(name='Second', is_default=True))
    assert (await service.default(alice)).id == second.id
    await service.update(alice, first.id, PersonaUpdate(is_default=True))
    assert [p.name for p in await service.list(alice) if p.is_default] == ['First']
    await service.update(alice, first.id, PersonaUpdate(is_default=False))
    assert await service.default(alice) is None
    bob = await services.accounts.register('bob', PASSWORD)
    await service.create(bob, PersonaFields(name='Bob', is_default=True))
    await service.update(alice, second.id, PersonaUpdate(is_default=True))
    assert (await service.default(bob)).name == 'Bob' and (await service.default(alice)).name == 'Second'


async def test_other_users_personas_are_not_found(services: Services, alice: User) -> None:
    service = personas(services)
    persona = await service.create(alice, PersonaFields(name='Private', is_default=True))
    bob = await services.accounts.register('bob', PASSWORD)
    attempts = [service.get(bob, persona.id), service.update(bob, persona.id, PersonaUpdate(name='Stolen')),
                service.delete(bob, persona.id), service.set_avatar(bob, persona.id, png_bytes()),
                service.get(alice, 'no-such-id')]
    for attempt in attempts:
        with pytest.raises(NotFoundError) as caught:
            await attempt
        assert caught.value.code == 'error.persona.not_found'
    assert await service.list(bob) == [] and await service.default(bob) is None
    unchanged = await service.get(alice, persona.id)
    assert (unchanged.name, unchanged.avatar_hash) == ('Private', None)


async def test_delete_keeps_the_chats_that_used_it(services: Services, alice: User) -> None:
    service = personas(services)
    persona = await service.create(alice, PersonaFields(name='Ash'))
    character = await services.characters.create(alice, CharacterFields(name='Mira'))
    async with services.db.session() as session:
        chat = Chat(owner_id=alice.id, character_id=character.id, persona_id=persona.id)
        session.add(chat)
        await session.commit()
    await service.delete(alice, persona.id)
    assert await service.list(alice) == []
    async with services.db.session() as session:
        kept = await session.get(Chat, chat.id)
    assert kept is not None and kept.persona_id is None
    with pytest.raises(NotFoundError):
        await service.get(alice, persona.id)


async def test_avatar_is_stored_like_a_character_avatar(services: Services, alice: User) -> None:
    service = personas(services)
    persona = await service.create(alice, PersonaFields(name='Ash'))
    data = png_bytes((300, 200))
    updated = await service.set_avatar(alice, persona.id, data)
    assert updated.avatar_hash and (await service.get(alice, persona.id)).avatar_hash == updated.avatar_hash
    stored = services.media.avatar(updated.avatar_hash)
    assert stored is not None and stored.path.read_bytes() == data
    assert services.media.thumbnail(updated.avatar_hash) is not None
    read = PersonaRead.of(updated)
    assert read.avatar_url == f'/media/avatars/{updated.avatar_hash}'
    assert read.thumbnail_url == f'/media/thumbs/{updated.avatar_hash}.webp'


@pytest.mark.parametrize(('data', 'error', 'code'), [
    (b'just some text', InvalidInputError, 'error.media.not_an_image'),
    (png_bytes()[:60], InvalidInputError, 'error.media.broken_image'),
    (png_bomb(), InvalidInputError, 'error.media.too_many_pixels'),
    (b'\x89PNG' + b'\x00' * 5000, PayloadTooLargeError, 'error.media.too_large'),
])
async def test_bad_avatars_are_refused_with_a_clear_error(services: Services, alice: User, data: bytes,
                                                          error: type[Exception], code: str) -> None:
    service = personas(services)
    persona = await service.create(alice, PersonaFields(name='Ash'))
    services.media.max_bytes = 4096
    with pytest.raises(error) as caught:
        await service.set_avatar(alice, persona.id, data)
    assert caught.value.code == code and caught.value.message
    assert (await service.get(alice, persona.id)).avatar_hash is None
