"""Lorebook formats on real files: every compat world file and every lorebook embedded in a compat card survives
SillyTavern JSON and character_book round trips unchanged, the other apps' books import, and broken uploads are
refused with the reason."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.errors import InvalidInputError
from app.i18n import table
from app.services.card_formats import CardFileLimits, read_card_file
from app.services.card_formats.png_chunks import encode_chunk
from app.services.world_info import (
    WorldBook,
    WorldEntry,
    book_from_character_book,
    book_from_st,
    book_to_character_book,
    book_to_st,
    parse_lorebook_file,
)
from app.services.world_info.card_book import EXTENSION_KEYS, ST_FIELDS_KEY
from app.services.world_info.entry import FIELDS, POSITION_AT_DEPTH
from app.services.world_info.formats import MAX_ENTRIES, MAX_FILE_BYTES
from tests.support.compat import COMPAT_DIR
from tests.support.compat_cards import CARDS, CompatCard
from tests.support.images import png_bytes

AGNAI_FILE = 'main_hogwarts-legacy-lore-b819ccba_agnai.json'
ST_WORLD_FILES = sorted(path for path in (COMPAT_DIR / 'community/worlds').glob('*.json') if path.name != AGNAI_FILE)
ST_WORLD_FILES.append(COMPAT_DIR / 'sillytavern/Eldoria.json')
CARDS_WITH_BOOKS = [compat for compat in CARDS if compat.book_entries]
# Fields a SillyTavern → card → SillyTavern trip may fill in: a missing display index becomes the entry's position,
# and the entry's extensions gain the card's copies of its fields (as in SillyTavern).
FILLED_IN_BY_CARD_TRIP = {'display_index', 'extensions', 'st_source'}


def world(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding='utf-8'))


def card_book(compat: CompatCard) -> dict[str, Any]:
    return read_card_file(compat.data(), compat.filename, CardFileLimits()).card['data']['character_book']


def typed_fields(entry: WorldEntry, leave_out: set[str]) -> dict[str, Any]:
    return {name: value for name, value in vars(entry).items() if name not in leave_out}


def test_every_compat_world_file_is_covered() -> None:
    assert len(ST_WORLD_FILES) == 8
    assert all(path.is_file() for path in ST_WORLD_FILES)
    assert len(CARDS_WITH_BOOKS) == 8


@pytest.mark.parametrize('path', ST_WORLD_FILES, ids=lambda path: path.name)
def test_world_file_round_trip_is_exact(path: Path) -> None:
    data = world(path)
    book = book_from_st(copy.deepcopy(data), path.stem)
    assert len(book.entries) == len(data['entries'])
    assert book_to_st(book) == data
    for raw in data['entries'].values():
        written = WorldEntry.from_st(raw).to_st()
        assert json.dumps(written, ensure_ascii=False) == json.dumps(raw, ensure_ascii=False)  # same key order too


@pytest.mark.parametrize('path', ST_WORLD_FILES, ids=lambda path: path.name)
def test_world_file_through_character_book_keeps_every_field(path: Path) -> None:
    book = book_from_st(world(path), path.stem)
    card = json.loads(json.dumps(book_to_character_book(book)))
    back = book_from_character_book(card, path.stem)
    assert [entry.uid for entry in back.entries] == [entry.uid for entry in book.entries]
    for before, after in zip(book.entries, back.entries, strict=True):
        assert typed_fields(after, FILLED_IN_BY_CARD_TRIP) == typed_fields(before, FILLED_IN_BY_CARD_TRIP)
        assert after.display_index == (before.display_index if before.display_index is not None else
                                       back.entries.index(after))
        own_extensions = {key: value for key, value in before.extensions.items() if key not in EXTENSION_KEYS}
        assert {key: after.extensions.get(key) for key in own_extensions} == own_extensions


@pytest.mark.parametrize('compat', CARDS_WITH_BOOKS, ids=str)
def test_card_book_round_trip_is_exact(compat: CompatCard) -> None:
    data = card_book(compat)
    book = book_from_character_book(copy.deepcopy(data), 'unused')
    assert len(book.entries) == compat.book_entries
    assert book_to_character_book(book) == data
    stored = json.loads(json.dumps(book_to_st(book)))
    assert book_to_character_book(book_from_st(stored, 'renamed')) == data


def test_seraphina_book_converts_like_sillytavern() -> None:
    seraphina = next(compat for compat in CARDS if compat.filename == 'default_Seraphina.png')
    book = book_from_character_book(card_book(seraphina))
    assert book.name == 'Eldoria'
    first = book.entries[0]
    assert (first.uid, first.key[:2], first.order, first.disable, first.add_memo) == (0, ['eldoria', 'wood'], 100,
                                                                                      False, False)
    # extensions.probability is null there: SillyTavern's `?? 100` applies; useProbability false is taken as is
    assert (first.probability, first.use_probability, first.display_index) == (100, False, 0)


def test_card_entry_without_enabled_stays_enabled() -> None:
    honkai = next(compat for compat in CARDS if compat.filename == 'Honkai_Star_Rail_RPG.json')
    book = book_from_character_book(card_book(honkai))
    assert not any(entry.disable for entry in book.entries)
    assert sum(entry.constant for entry in book.entries) == 11


def test_edits_reach_the_card_book_and_nothing_else_changes() -> None:
    compat = next(compat for compat in CARDS if compat.filename == '算命師.json')
    original = card_book(compat)
    book = book_from_character_book(copy.deepcopy(original))
    edited, removed = book.entries[1], book.entries[2]
    edited.content, edited.selective_logic, edited.position, edited.disable = 'new text', 3, POSITION_AT_DEPTH, True
    edited.character_filter = {'isExclude': True, 'names': ['x.png'], 'tags': []}
    book.entries.remove(removed)
    book.entries.append(WorldEntry(uid=99, key=['added'], content='added entry'))
    card = book_to_character_book(book)
    assert [entry['id'] for entry in card['entries']] == \
        [entry['id'] for entry in original['entries'] if entry['id'] != removed.uid] + [99]
    changed = card['entries'][1]
    assert (changed['content'], changed['enabled'], changed['position']) == ('new text', False, 'after_char')
    assert changed['extensions']['selectiveLogic'] == 3
    assert changed['extensions']['position'] == POSITION_AT_DEPTH
    assert changed['extensions'][ST_FIELDS_KEY] == {'characterFilter': edited.character_filter}
    untouched_before = [entry for entry in original['entries'] if entry['id'] not in (edited.uid, removed.uid)]
    untouched_after = [entry for entry in card['entries'] if entry['id'] not in (edited.uid, 99)]
    assert untouched_after == untouched_before
    assert {key: value for key, value in card.items() if key != 'entries'} == \
        {key: value for key, value in original.items() if key != 'entries'}
    reread = book_from_character_book(card)
    assert reread.entries[1].character_filter == edited.character_filter
    assert reread.entries[-1].content == 'added entry'


def test_new_entry_writes_sillytavern_template() -> None:
    written = WorldEntry(uid=7, key=['a'], content='text').to_st()
    assert written['uid'] == 7 and written['key'] == ['a'] and written['content'] == 'text'
    assert (written['selective'], written['order'], written['probability'], written['depth']) == (True, 100, 100, 4)
    assert written['useProbability'] is True and written['groupWeight'] == 100 and written['triggers'] == []
    assert written['scanDepth'] is None and written['sticky'] is None and written['role'] == 0
    assert set(written) == {spec.st_key for spec in FIELDS if spec.in_template}
    assert WorldEntry.from_st(written) == WorldEntry(uid=7, key=['a'], content='text')


def test_edited_entry_keeps_unknown_keys_and_spelling() -> None:
    raw = {'uid': 3, 'key': 'sword, blade', 'content': 'A blade.', 'order': '250', 'delayUntilRecursion': True,
           'probability': None, 'keysecondary': None, 'custom': {'kept': [1, 2]}}
    entry = WorldEntry.from_st(raw)
    assert (entry.key, entry.order, entry.delay_until_recursion, entry.probability) == (['sword', 'blade'], 250, 1,
                                                                                       100)
    assert entry.secondary_keys == [] and entry.extra == {'custom': {'kept': [1, 2]}}
    entry.content = 'A sharp blade.'
    entry.group = 'weapons'
    written = entry.to_st()
    assert written == {**raw, 'content': 'A sharp blade.', 'group': 'weapons'}


def test_edited_entry_writes_the_typed_value() -> None:
    entry = WorldEntry.from_st({'uid': 1, 'key': 'a,b', 'delayUntilRecursion': True})
    entry.key.append('c')
    entry.delay_until_recursion = 2
    assert entry.to_st() == {'uid': 1, 'key': ['a', 'b', 'c'], 'delayUntilRecursion': 2}


@pytest.mark.parametrize(('raw', 'field'), [({'uid': 4, 'key': {'a': 1}}, 'key'),
                                            ({'uid': 5, 'content': ['x']}, 'content')])
def test_unusable_entry_is_refused(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        WorldEntry.from_st(raw)
    assert caught.value.code == 'error.world_info.bad_entry'
    assert caught.value.params == {'uid': str(raw['uid']), 'field': field}


def test_duplicate_uids_are_renumbered_not_lost() -> None:
    book = book_from_st({'entries': {'1': {'uid': 1, 'content': 'a'}, '2': {'uid': 1, 'content': 'b'}}}, 'dup')
    assert [(entry.uid, entry.content) for entry in book.entries] == [(1, 'a'), (2, 'b')]


def read_file(name: str) -> bytes:
    return (COMPAT_DIR / 'community' / name).read_bytes()


def test_parse_st_world_file_names_the_book_after_the_file() -> None:
    book = parse_lorebook_file(read_file('worlds/魔都诡事.json'), '魔都诡事.json')
    assert (book.name, len(book.entries)) == ('魔都诡事', 20)
    assert 'originalData' in book.extra


def test_parse_agnai_memory_book() -> None:
    book = parse_lorebook_file(read_file(f'worlds/{AGNAI_FILE}'), AGNAI_FILE)
    assert len(book.entries) == 4
    assert book.entries[0].key == ['Hogwarts', 'castle']
    assert book.entries[0].content.startswith('Hogwarts is a school')
    assert [(entry.uid, entry.order, entry.comment, entry.add_memo) for entry in book.entries[:2]] == \
        [(0, 1, '0', True), (1, 1, '1', True)]
    assert book_to_st(book)['entries']['3']['key'][0] == 'Charles Rookwood'


def test_parse_whole_card_and_bare_character_book() -> None:
    card = json.loads(read_file('cards-json/爱.json'))
    from_card = parse_lorebook_file(read_file('cards-json/爱.json'), '爱.json')
    assert (from_card.name, len(from_card.entries)) == ('爱', 27)
    bare = json.dumps(card['data']['character_book'], ensure_ascii=False).encode()
    from_bare = parse_lorebook_file(bare, 'book.json')
    assert book_to_character_book(from_bare) == card['data']['character_book']


def test_parse_novelai_and_risu_books() -> None:
    novel = {'lorebookVersion': 5, 'entries': [
        {'keys': ['dragon'], 'text': 'Dragons fly.', 'displayName': 'Dragons', 'enabled': True,
         'contextConfig': {'budgetPriority': 400}},
        {'keys': ['elf'], 'text': 'Elves sing.', 'displayName': ' ', 'enabled': False}]}
    book = parse_lorebook_file(json.dumps(novel).encode(), 'lore.lorebook')
    assert [(e.key, e.content, e.comment, e.order, e.disable, e.add_memo) for e in book.entries] == [
        (['dragon'], 'Dragons fly.', 'Dragons', 400, False, True), (['elf'], 'Elves sing.', ' ', 0, True, False)]
    risu = {'type': 'risu', 'data': [{'key': 'castle, keep', 'secondkey': 'night', 'comment': 'Castle',
                                      'content': 'Stone walls.', 'alwaysActive': False, 'selective': True,
                                      'insertorder': 150, 'activationPercent': 30}]}
    entry = parse_lorebook_file(json.dumps(risu).encode(), 'risu.json').entries[0]
    assert (entry.key, entry.secondary_keys, entry.order, entry.probability, entry.selective) == (
        ['castle', 'keep'], ['night'], 150, 30, True)


def test_round_trip_of_an_imported_foreign_book() -> None:
    book = parse_lorebook_file(read_file(f'worlds/{AGNAI_FILE}'), AGNAI_FILE)
    stored = book_to_st(book)
    assert book_to_st(book_from_st(copy.deepcopy(stored), book.name)) == stored


@pytest.mark.parametrize(('raw', 'code'), [
    (b'{"entries": {', 'error.world_info.broken_json'),
    (b'\xff\xfe not text', 'error.world_info.broken_json'),
    (b'{"a": NaN}', 'error.world_info.broken_json'),
    (b'[1, 2]', 'error.world_info.not_a_lorebook'),
    (b'{"hello": "world"}', 'error.world_info.not_a_lorebook'),
    (b'{"entries": {}}', 'error.world_info.empty'),
    (b'{"entries": {"0": "text"}}', 'error.world_info.entry_not_object'),
    (b'{"entries": {"0": {"uid": 0, "key": {"x": 1}}}}', 'error.world_info.bad_entry'),
    (json.dumps({'spec': 'chara_card_v2', 'data': {'name': 'Ann'}}).encode(), 'error.world_info.card_without_book'),
    (b'[' * 5000 + b']' * 5000, 'error.world_info.broken_json'),
])
def test_broken_upload_is_refused_with_reason(raw: bytes, code: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_lorebook_file(raw, 'upload.json')
    assert caught.value.code == code
    assert code in table('en') and code in table('zh-CN')


def test_too_big_and_too_many_entries_are_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_lorebook_file(b' ' * (MAX_FILE_BYTES + 1), 'big.json')
    assert (caught.value.code, caught.value.params) == ('error.world_info.too_large', {'limit': 20})
    many = {'entries': {str(uid): {'uid': uid} for uid in range(MAX_ENTRIES + 1)}}
    with pytest.raises(InvalidInputError) as caught:
        parse_lorebook_file(json.dumps(many).encode(), 'many.json')
    assert caught.value.code == 'error.world_info.too_many_entries'


def test_book_without_original_data_gets_book_level_fields() -> None:
    book = WorldBook(name='Mine', entries=[WorldEntry(uid=0, key=['k'], content='c')],
                     extra={'description': 'About', 'scan_depth': 3, 'unrelated': True})
    card = book_to_character_book(book)
    assert {key: card[key] for key in ('name', 'description', 'scan_depth', 'extensions')} == {
        'name': 'Mine', 'description': 'About', 'scan_depth': 3, 'extensions': {}}
    assert 'unrelated' not in card
    assert card['entries'][0]['use_regex'] is True and card['entries'][0]['position'] == 'before_char'


def test_parse_png_card_takes_its_lorebook() -> None:
    seraphina = next(compat for compat in CARDS if compat.filename == 'default_Seraphina.png')
    book = parse_lorebook_file(seraphina.data(), seraphina.filename)
    assert (book.name, len(book.entries)) == ('Eldoria', 4)
    skynet = next(compat for compat in CARDS if compat.filename == 'Skynet_v2.png')
    with pytest.raises(InvalidInputError) as caught:
        parse_lorebook_file(skynet.data(), skynet.filename)
    assert caught.value.code == 'error.world_info.card_without_book'


def test_parse_novelai_png() -> None:
    novel = {'lorebookVersion': 5, 'entries': [{'keys': ['moon'], 'text': 'The moon is red.', 'enabled': True}]}
    png = png_bytes()
    end = png.rindex(b'IEND') - 4
    chunk = encode_chunk(b'tEXt', b'naidata\x00' + base64.b64encode(json.dumps(novel).encode()))
    book = parse_lorebook_file(png[:end] + chunk + png[end:], 'moon.png')
    assert [(entry.key, entry.content) for entry in book.entries] == [(['moon'], 'The moon is red.')]


def test_world_entries_given_as_an_array_are_read_as_world_entries() -> None:
    raw = json.dumps({'entries': [{'uid': 4, 'key': ['a'], 'content': 'x'}]}).encode()
    book = parse_lorebook_file(raw, 'array.json')
    assert [(entry.uid, entry.key) for entry in book.entries] == [(4, ['a'])]
