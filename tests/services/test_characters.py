import pytest
from sqlmodel import select

from app.db.models import Character, CharacterTag, Chat, User
from app.errors import NotFoundError
from app.services.character_card import CharacterFields, CharacterUpdate, apply_update, fields_of, new_card
from app.services.characters import CharacterQuery
from app.services.container import Services
from tests.support.images import png_bytes

PASSWORD = 'correct horse battery'


async def register(services: Services, handle: str = 'alice') -> User:
    return await services.accounts.register(handle, PASSWORD, by_admin=True)


async def add_chats(services: Services, owner: User, character: Character, count: int) -> None:
    async with services.db.session() as session:
        session.add_all(Chat(owner_id=owner.id, character_id=character.id) for _ in range(count))
        await session.commit()


async def tag_rows(services: Services, character_id: str) -> list[str]:
    async with services.db.session() as session:
        rows = await session.exec(select(CharacterTag.tag).where(CharacterTag.character_id == character_id))
        return sorted(rows.all())


def test_fields_are_normalized() -> None:
    fields = CharacterFields(name='  Maren  ', tags=[' Sci-Fi ', 'sci-fi', '', 'Slice  of life'])
    assert fields.name == 'Maren'
    assert fields.tags == ['Sci-Fi', 'Slice of life']
    with pytest.raises(ValueError):
        CharacterFields(name='   ')
    with pytest.raises(ValueError):
        CharacterFields(name='x', tags=[f'tag{index}' for index in range(51)])


def test_new_card_is_canonical_v3() -> None:
    card = new_card(CharacterFields(name='Maren', first_mes='Hello.', alternate_greetings=['Hi.']))
    assert (card['spec'], card['spec_version']) == ('chara_card_v3', '3.0')
    data = card['data']
    assert data['first_mes'] == 'Hello.' and data['alternate_greetings'] == ['Hi.']
    assert data['extensions'] == {} and data['group_only_greetings'] == []
    assert data['assets'] == [{'type': 'icon', 'uri': 'ccdefault:', 'name': 'main', 'ext': 'png'}]
    assert isinstance(data['creation_date'], int) and data['creation_date'] == data['modification_date']


def test_apply_update_keeps_unknown_fields_and_reads_v2_cards() -> None:
    card = {'spec': 'chara_card_v2', 'spec_version': '2.0', 'top_level_extra': [1, 2],
            'data': {'name': 'Old', 'description': 'Kept', 'character_book': {'entries': [{'keys': ['a']}]},
                     'extensions': {'depth_prompt': {'prompt': 'x', 'depth': 4}}, 'tags': 'not a list'}}
    updated = apply_update(card, CharacterUpdate(name='New', tags=['One']))
    assert updated['spec'] == 'chara_card_v3' and updated['top_level_extra'] == [1, 2]
    assert updated['data']['character_book'] == {'entries': [{'keys': ['a']}]}
    assert updated['data']['extensions'] == {'depth_prompt': {'prompt': 'x', 'depth': 4}}
    data = updated['data']
    assert (data['name'], data['description'], data['tags']) == ('New', 'Kept', ['One'])
    assert card['data']['name'] == 'Old'
    assert fields_of(card).tags == []


async def test_create_get_update_keeps_unknown_card_fields(services: Services) -> None:
    alice = await register(services)
    created = await services.characters.create(alice, CharacterFields(name='Maren', tags=['Mystery'], creator='me'))
    async with services.db.session() as session:
        stored = await session.get(Character, created.id)
        stored.card = {**stored.card, 'vendor_field': 'v',
                       'data': {**stored.card['data'], 'extensions': {'world': 'Greyholm'}, 'source': ['x']}}
        session.add(stored)
        await session.commit()
    updated = await services.characters.update(alice, created.id, CharacterUpdate(description='Keeper',
                                                                                  tags=['Sea', 'Cosy']))
    loaded = await services.characters.get(alice, created.id)
    assert loaded.card == updated.card
    assert loaded.card['vendor_field'] == 'v'
    assert loaded.card['data']['extensions'] == {'world': 'Greyholm'} and loaded.card['data']['source'] == ['x']
    assert fields_of(loaded.card).description == 'Keeper'
    assert (loaded.name, loaded.creator) == ('Maren', 'me')
    assert loaded.updated_at >= created.updated_at
    assert await tag_rows(services, created.id) == ['cosy', 'sea']


async def test_update_of_name_changes_the_indexed_column(services: Services) -> None:
    alice = await register(services)
    character = await services.characters.create(alice, CharacterFields(name='Draft', tags=['a']))
    await services.characters.update(alice, character.id, CharacterUpdate(name='Final', creator='Ann'))
    loaded = await services.characters.get(alice, character.id)
    assert (loaded.name, loaded.creator) == ('Final', 'Ann')
    assert await tag_rows(services, character.id) == ['a']


async def test_delete_removes_character_tags_and_chats(services: Services) -> None:
    alice = await register(services)
    character = await services.characters.create(alice, CharacterFields(name='Gone', tags=['x', 'y']))
    await add_chats(services, alice, character, 2)
    await services.characters.delete(alice, character.id)
    with pytest.raises(NotFoundError):
        await services.characters.get(alice, character.id)
    assert await tag_rows(services, character.id) == []
    async with services.db.session() as session:
        assert (await session.exec(select(Chat).where(Chat.character_id == character.id))).all() == []


async def test_other_users_characters_are_not_found(services: Services) -> None:
    alice = await register(services)
    bob = await register(services, 'bob')
    character = await services.characters.create(alice, CharacterFields(name='Private', tags=['secret']))
    attempts = [
        services.characters.get(bob, character.id),
        services.characters.update(bob, character.id, CharacterUpdate(name='Stolen')),
        services.characters.set_favorite(bob, character.id, True),
        services.characters.set_avatar(bob, character.id, png_bytes()),
        services.characters.delete(bob, character.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFoundError) as error:
            await attempt
        assert error.value.code == 'error.character.not_found'
    with pytest.raises(NotFoundError):
        await services.characters.get(alice, 'no-such-id')
    assert (await services.characters.search(bob, CharacterQuery())).total == 0
    assert await services.characters.list_tags(bob) == []
    loaded = await services.characters.get(alice, character.id)
    assert (loaded.name, loaded.favorite, loaded.avatar_hash) == ('Private', False, None)


async def test_search_by_name_tag_and_text(services: Services) -> None:
    alice = await register(services)
    create = services.characters.create
    await create(alice, CharacterFields(name='Maren Holloway', tags=['Mystery', 'Sea']))
    await create(alice, CharacterFields(name='VEGA', tags=['Sci-Fi', 'Mystery']))
    await create(alice, CharacterFields(name='Seaside Baker', tags=['Cosy']))
    await create(alice, CharacterFields(name='100%_real', tags=[]))

    async def names(**query: object) -> list[str]:
        page = await services.characters.search(alice, CharacterQuery(sort='name', **query))
        return [item.name for item in page.items]

    assert await names(text='sea') == ['Maren Holloway', 'Seaside Baker']
    assert await names(text='MYSTERY') == ['Maren Holloway', 'VEGA']
    assert await names(tag='sci-fi') == ['VEGA']
    assert await names(tag='mystery', text='holl') == ['Maren Holloway']
    assert await names(text='%') == ['100%_real']
    assert await names(text='_') == ['100%_real']
    assert await names(text='nothing') == []
    assert await services.characters.list_tags(alice) == ['cosy', 'mystery', 'sci-fi', 'sea']


async def test_sorts_including_by_chat_count(services: Services) -> None:
    alice = await register(services)
    bob = await register(services, 'bob')
    first = await services.characters.create(alice, CharacterFields(name='bravo'))
    await services.characters.create(alice, CharacterFields(name='Alpha'))
    third = await services.characters.create(alice, CharacterFields(name='charlie'))
    await services.characters.create(bob, CharacterFields(name='Bob only'))
    await add_chats(services, alice, first, 3)
    await add_chats(services, alice, third, 1)
    await services.characters.update(alice, first.id, CharacterUpdate(description='touched'))

    async def ids(sort: str) -> list[tuple[str, int]]:
        page = await services.characters.search(alice, CharacterQuery(sort=sort))
        return [(item.name, item.chat_count) for item in page.items]

    assert await ids('name') == [('Alpha', 0), ('bravo', 3), ('charlie', 1)]
    assert await ids('chats') == [('bravo', 3), ('charlie', 1), ('Alpha', 0)]
    assert [name for name, _ in await ids('recent')] == ['bravo', 'charlie', 'Alpha']


async def test_favorites_and_paging(services: Services) -> None:
    alice = await register(services)
    created = [await services.characters.create(alice, CharacterFields(name=f'Character {index:02}'))
               for index in range(7)]
    await services.characters.set_favorite(alice, created[2].id, True)
    await services.characters.set_favorite(alice, created[5].id, True)
    favorites = await services.characters.search(alice, CharacterQuery(favorites_only=True, sort='name'))
    assert [item.name for item in favorites.items] == ['Character 02', 'Character 05']
    assert favorites.total == 2 and all(item.favorite for item in favorites.items)
    pages = [await services.characters.search(alice, CharacterQuery(sort='name', offset=offset, limit=3))
             for offset in (0, 3, 6)]
    assert [page.total for page in pages] == [7, 7, 7]
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert [item.name for page in pages for item in page.items] == [f'Character {index:02}' for index in range(7)]
    with pytest.raises(ValueError):
        CharacterQuery(limit=201)


async def test_summary_has_short_description_and_thumbnail(services: Services) -> None:
    alice = await register(services)
    character = await services.characters.create(alice, CharacterFields(name='Long', description='word ' * 100))
    await services.characters.set_avatar(alice, character.id, png_bytes())
    item = (await services.characters.search(alice, CharacterQuery())).items[0]
    assert len(item.short_description) == 160 and item.short_description.endswith('…')
    assert item.avatar_hash and item.thumbnail_url == f'/media/thumbs/{item.avatar_hash}.webp'
    assert services.media.thumbnail(item.avatar_hash) is not None


async def test_samples_are_listed_and_added_with_avatar(services: Services) -> None:
    alice = await register(services)
    samples = services.characters.samples()
    assert len(samples) >= 3
    assert {sample.locale for sample in samples} == {'en', 'zh-CN'}
    chinese = next(sample for sample in samples if sample.locale == 'zh-CN')
    assert chinese.short_description and chinese.tags
    for sample in samples:
        character = await services.characters.add_sample(alice, sample.slug)
        fields = fields_of(character.card)
        assert character.name == sample.name and fields.first_mes and fields.alternate_greetings
        assert fields.mes_example and fields.scenario and fields.tags
        assert character.avatar_hash and services.media.avatar(character.avatar_hash) is not None
    assert (await services.characters.search(alice, CharacterQuery(text=chinese.name))).items[0].name == chinese.name
    assert chinese.tags[0].lower() in await services.characters.list_tags(alice)
    with pytest.raises(NotFoundError):
        await services.characters.add_sample(alice, '../etc/passwd')
