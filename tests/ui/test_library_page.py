import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import Chat
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.characters import CharacterQuery

Login = Callable[..., Awaitable[Account]]
DEBOUNCED = 20  # attempts 50-100 ms apart: long enough for the search box's debounce delay


async def _create(owner: Account, name: str, *tags: str, description: str = '') -> str:
    fields = CharacterFields(name=name, tags=list(tags), description=description)
    return (await runtime.services().characters.create(owner, fields)).id


def _tile_names(user: User) -> list[str]:
    """The names of the tiles in grid order."""
    grid = user.find(marker='character-grid').elements.pop()
    return [link.text for link in grid.descendants() if isinstance(link, ui.link) and 'tile-name' in link._markers]


async def _should_show(user: User, names: list[str]) -> None:
    """Wait until the grid shows exactly `names` in this order (reloads run in the background)."""
    for _ in range(DEBOUNCED):
        if _tile_names(user) == names:
            return
        await asyncio.sleep(0.05)
    assert _tile_names(user) == names


async def test_empty_library_offers_samples_and_adding_one_shows_it(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/')
    await user.should_see(marker='empty-state')
    await user.should_see('Add to my library')
    await user.should_see('沈知秋')
    with user.scope(marker='sample-teahouse-storyteller'):
        user.find(marker='add-sample').click()
    await user.should_see(marker='tile-name', content='沈知秋')
    await user.should_not_see(marker='empty-state')
    page = await runtime.services().characters.search(owner, CharacterQuery())
    assert [item.name for item in page.items] == ['沈知秋']


async def test_new_character_button_opens_the_editor(user: User, login: Login) -> None:
    await login()
    await user.open('/')
    user.find(marker='new-character').click()
    await user.should_see(marker='field-name')


async def test_search_by_name_and_by_tag(user: User, login: Login) -> None:
    owner = await login()
    await _create(owner, '小雨', '校园', description='一个安静的女孩')
    await _create(owner, 'Captain Rook', 'pirate')
    await _create(owner, 'Rosa', 'Pirate', 'cook')
    await user.open('/')
    await user.should_see(marker='tile-name', content='Captain Rook')
    user.find(marker='search').type('rook')
    await user.should_not_see(marker='tile-name', content='Rosa', retries=DEBOUNCED)
    await user.should_see(marker='tile-name', content='Captain Rook')
    user.find(marker='search').clear().type('PIRATE')
    await user.should_see(marker='tile-name', content='Rosa', retries=DEBOUNCED)
    assert sorted(_tile_names(user)) == ['Captain Rook', 'Rosa']
    user.find(marker='search').clear().type('雨').trigger('keydown.enter')
    await _should_show(user, ['小雨'])
    await user.should_see('一个安静的女孩')
    user.find(marker='search').clear().type('nobody')
    await user.should_see(marker='no-matches', retries=DEBOUNCED)


async def test_tag_filter_chips(user: User, login: Login) -> None:
    owner = await login()
    await _create(owner, 'Captain Rook', 'pirate')
    await _create(owner, 'Mira', 'mage')
    await user.open('/')
    await user.should_see(marker='tag-filter', content='mage')
    user.find(marker='tag-filter', content='mage').click()
    await _should_show(user, ['Mira'])
    user.find(marker='tag-filter', content='mage').click()
    await _should_show(user, ['Mira', 'Captain Rook'])


async def test_sort_by_name_and_recent(user: User, login: Login) -> None:
    owner = await login()
    for name in ('banana', 'Cherry', 'apple'):
        await _create(owner, name)
    await user.open('/')
    await _should_show(user, ['apple', 'Cherry', 'banana'])
    user.find(marker='sort').click()
    user.find('Name').click()
    await _should_show(user, ['apple', 'banana', 'Cherry'])
    user.find(marker='sort').click()
    user.find('Recently changed').click()
    await _should_show(user, ['apple', 'Cherry', 'banana'])


async def test_sort_by_most_chatted(user: User, login: Login) -> None:
    owner = await login()
    popular = await _create(owner, 'Popular')
    await _create(owner, 'Quiet')
    chatty = await _create(owner, 'Chatty')
    async with runtime.services().db.session() as session:
        for character_id, chats in ((popular, 3), (chatty, 1)):
            session.add_all(Chat(owner_id=owner.id, character_id=character_id) for _ in range(chats))
        await session.commit()
    await user.open('/')
    await _should_show(user, ['Chatty', 'Quiet', 'Popular'])
    user.find(marker='sort').click()
    user.find('Most chatted').click()
    await _should_show(user, ['Popular', 'Chatty', 'Quiet'])


async def test_favourite_toggle_and_favourites_only(user: User, login: Login) -> None:
    owner = await login()
    rook = await _create(owner, 'Captain Rook')
    await _create(owner, 'Mira')
    await user.open('/')
    with user.scope(marker=f'tile-{rook}'):
        user.find(marker='favorite-toggle').click()
        await user.should_see('Remove from favourites')
        assert user.find(marker='favorite-toggle').elements.pop().props['icon'] == 'star'
    character = await runtime.services().characters.get(owner, rook)
    assert character.favorite
    user.find(marker='favorites-only').click()
    await _should_show(user, ['Captain Rook'])
    with user.scope(marker=f'tile-{rook}'):
        user.find(marker='favorite-toggle').click()
        await user.should_see('Add to favourites')
    user.find(marker='favorites-only').click()
    await user.should_see(marker='tile-name', content='Mira')
    assert not (await runtime.services().characters.get(owner, rook)).favorite


async def test_load_more_pages_through_the_library(user: User, login: Login) -> None:
    owner = await login()
    for number in range(50):
        await _create(owner, f'Character {number:02d}')
    await user.open('/')
    await user.should_see(marker='load-more')
    assert len(_tile_names(user)) == 48
    user.find(marker='load-more').click()
    await user.should_not_see(marker='load-more')
    names = _tile_names(user)
    assert len(names) == 50
    assert len(set(names)) == 50


async def test_clicking_a_tile_opens_its_editor(user: User, login: Login) -> None:
    owner = await login()
    await _create(owner, '小雨')
    await user.open('/')
    user.find(marker='tile-name', content='小雨').click()
    await user.should_see(marker='editor-title', content='小雨')
