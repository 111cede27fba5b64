"""Searching all of a user's chats (substring, any case, Chinese, `%` and `_` taken literally, paged, owner only) and
listing them for the Chats page."""

import pytest

from app.db.models import Chat, User
from app.errors import InvalidInputError
from app.services.character_card import CharacterFields
from app.services.chat_search import HITS_PER_CHAT, make_snippet
from app.services.chats import NewMessage
from app.services.container import Services

PASSWORD = 'correct horse battery'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


async def _chat(services: Services, owner: User, name: str, *texts: str) -> Chat:
    """A chat with a character called `name` (created once per owner and name) holding `texts` as user messages."""
    existing = [c for c in await services.chat_search.characters_with_chats(owner) if c.name == name]
    character_id = existing[0].id if existing else \
        (await services.characters.create(owner, CharacterFields(name=name))).id
    chat = await services.chats.start(owner, character_id)
    for text in texts:
        await services.chats.append(owner, chat.id, NewMessage(role='user', content=text))
    return await services.chats.get(owner, chat.id)


async def test_chinese_substrings_match_without_word_splitting(services: Services, alice: User) -> None:
    older = await _chat(services, alice, '李白', '我们明天去长城看日出吧', '好的')
    newer = await _chat(services, alice, '杜甫', '长城很长。', '今天下雨')
    tomorrow = await _chat(services, alice, '王维', '明天见')
    found = await services.chat_search.search(alice, '长城')
    assert [item.chat_id for item in found.items] == [newer.id, older.id]
    first = found.items[1]
    assert (first.character_name, first.match_count, first.title_match) == ('李白', 1, False)
    assert first.hits[0].snippet.model_dump() == {'before': '我们明天去', 'match': '长城', 'after': '看日出吧'}
    assert first.hits[0].seq == 0 and first.hits[0].role == 'user'
    assert [item.chat_id for item in (await services.chat_search.search(alice, '明天')).items] == \
        [tomorrow.id, older.id]
    assert (await services.chat_search.search(alice, '长 城')).items == []


async def test_case_is_ignored_and_titles_match_too(services: Services, alice: User) -> None:
    in_message = await _chat(services, alice, 'Mira', 'The LightHouse keeper waved.')
    in_title = await _chat(services, alice, 'Mira', 'Nothing here.')
    await services.chats.rename(alice, in_title.id, 'Lighthouse night')
    found = await services.chat_search.search(alice, 'lighthouse')
    by_id = {item.chat_id: item for item in found.items}
    assert set(by_id) == {in_message.id, in_title.id}
    assert by_id[in_message.id].hits[0].snippet.match == 'LightHouse'
    assert (by_id[in_title.id].title_match, by_id[in_title.id].hits) == (True, [])


async def test_percent_underscore_and_slash_in_the_query_are_plain_characters(services: Services,
                                                                              alice: User) -> None:
    percent = await _chat(services, alice, 'Mira', 'I am 100% sure.')
    await _chat(services, alice, 'Mira', 'I am 100 times sure.', 'a-b and a/c')
    underscore = await _chat(services, alice, 'Mira', 'call snake_case names')
    await _chat(services, alice, 'Mira', 'call snakeXcase names')
    assert [item.chat_id for item in (await services.chat_search.search(alice, '100%')).items] == [percent.id]
    assert [item.chat_id for item in (await services.chat_search.search(alice, 'snake_case')).items] == \
        [underscore.id]
    assert len((await services.chat_search.search(alice, 'a/c')).items) == 1
    assert (await services.chat_search.search(alice, '%')).items[0].chat_id == percent.id


async def test_results_page_by_chat_with_a_few_hits_each(services: Services, alice: User) -> None:
    chats = [await _chat(services, alice, 'Mira', *[f'moon {index}.{n}' for n in range(5)], 'sun')
             for index in range(5)]
    seen: list[str] = []
    cursor = None
    for expected_size in (2, 2, 1):
        page = await services.chat_search.search(alice, 'MOON', limit=2, cursor=cursor)
        assert len(page.items) == expected_size
        seen += [item.chat_id for item in page.items]
        cursor = page.next_cursor
    assert cursor is None
    assert seen == [chat.id for chat in reversed(chats)]
    newest = (await services.chat_search.search(alice, 'moon', limit=1)).items[0]
    assert newest.match_count == 5 and len(newest.hits) == HITS_PER_CHAT
    assert [hit.snippet.after for hit in newest.hits] == [' 4.4', ' 4.3', ' 4.2']


async def test_only_the_owners_chats_are_searched(services: Services, alice: User) -> None:
    mine = await _chat(services, alice, 'Mira', 'the secret password is swordfish')
    bob = await services.accounts.register('bob', PASSWORD)
    theirs = await _chat(services, bob, 'Mira', 'the secret password is swordfish')
    assert [item.chat_id for item in (await services.chat_search.search(alice, 'swordfish')).items] == [mine.id]
    assert [item.chat_id for item in (await services.chat_search.search(bob, 'swordfish')).items] == [theirs.id]
    assert (await services.chat_search.search(alice, 'swordfish', character_id=theirs.character_id)).items == []
    assert [item.id for item in (await services.chat_search.browse(alice)).items] == [mine.id]


async def test_a_character_filter_narrows_the_search(services: Services, alice: User) -> None:
    mira = await _chat(services, alice, 'Mira', 'tea time')
    await _chat(services, alice, 'Nox', 'tea time')
    found = await services.chat_search.search(alice, 'tea', character_id=mira.character_id)
    assert [item.chat_id for item in found.items] == [mira.id]


async def test_blank_and_bad_input_is_refused(services: Services, alice: User) -> None:
    with pytest.raises(InvalidInputError) as blank:
        await services.chat_search.search(alice, '   ')
    assert blank.value.code == 'error.chat_search.empty'
    with pytest.raises(InvalidInputError):
        await services.chat_search.search(alice, 'x' * 201)
    with pytest.raises(InvalidInputError) as cursor:
        await services.chat_search.search(alice, 'x', cursor='not-a-cursor')
    assert cursor.value.code == 'error.chat_search.bad_cursor'


def test_snippets_are_one_line_and_trimmed_around_the_match() -> None:
    text = 'a' * 100 + '\n\nThe  KEY word\n' + 'b' * 300
    snippet = make_snippet(text, 'key')
    assert snippet.match == 'KEY'
    assert snippet.before.startswith('…') and snippet.before.endswith('a The ')
    assert snippet.after.startswith(' word b') and snippet.after.endswith('…')
    assert len(snippet.before) <= 62 and len(snippet.after) <= 121
    assert make_snippet('short key', 'key').model_dump() == {'before': 'short ', 'match': 'key', 'after': ''}


async def test_browse_lists_every_chat_newest_first_with_its_character(services: Services, alice: User) -> None:
    first = await _chat(services, alice, 'Mira', 'one')
    second = await _chat(services, alice, 'Nox')
    third = await _chat(services, alice, 'Mira', 'two', 'three')
    page = await services.chat_search.browse(alice, limit=2)
    assert [(item.id, item.character_name, item.message_count) for item in page.items] == \
        [(third.id, 'Mira', 2), (second.id, 'Nox', 0)]
    rest = await services.chat_search.browse(alice, limit=2, cursor=page.next_cursor)
    assert [item.id for item in rest.items] == [first.id] and rest.next_cursor is None
    only_mira = await services.chat_search.browse(alice, character_id=first.character_id)
    assert [item.id for item in only_mira.items] == [third.id, first.id]
    assert [c.name for c in await services.chat_search.characters_with_chats(alice)] == ['Mira', 'Nox']
