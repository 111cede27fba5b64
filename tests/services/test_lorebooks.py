"""The lorebook service on SQLite and PostgreSQL with the real community and SillyTavern world files: every file
imports with all its entries and exports back unchanged, card books become bound lorebooks and go back into exported
cards only when edited, entries are searched and edited one by one and in bulk, bindings decide which books a chat
scans, and world-info settings are kept per user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from app.db.models import Chat, User
from app.errors import ConflictError, NotFoundError
from app.services.character_card import CharacterFields
from app.services.chats import ChatConfig
from app.services.container import Services
from app.services.lorebooks.schemas import BulkEdit, LorebookFields, LorebookUpdate
from app.services.lorebooks.settings import WorldInfoSettingsFields
from app.services.personas import PersonaFields, PersonaUpdate
from app.services.world_info.activation import WorldInfoSettings
from app.services.world_info.entry import POSITION_AT_DEPTH, ROLE_USER
from tests.support.compat import COMPAT_DIR
from tests.support.compat_cards import CARDS, CompatCard, card

PASSWORD = 'correct horse battery'


@dataclass(frozen=True)
class CompatWorld:
    path: str
    entries: int
    st_format: bool = True

    @property
    def filename(self) -> str:
        return self.path.rsplit('/', 1)[-1]

    def data(self) -> bytes:
        return (COMPAT_DIR / self.path).read_bytes()

    def __str__(self) -> str:
        return self.filename


WORLDS = (
    CompatWorld('community/worlds/DMC_Inc.json', 13),
    CompatWorld('community/worlds/Dragon_Ball_[LB].json', 152),
    CompatWorld('community/worlds/The_Long_Reclamation.json', 38),
    CompatWorld('community/worlds/main_hogwarts-legacy-lore-b819ccba_agnai.json', 4, st_format=False),
    CompatWorld('community/worlds/st_v1150_fields.json', 8),
    CompatWorld('community/worlds/内地網文仙俠世界.json', 16),
    CompatWorld('community/worlds/塔罗牌v1.3.0.json', 9),
    CompatWorld('community/worlds/魔都诡事.json', 20),
    CompatWorld('sillytavern/Eldoria.json', 4),
)
TAROT = WORLDS[6]
CARDS_WITH_BOOKS = tuple(compat for compat in CARDS if compat.book_entries)


async def register(services: Services, handle: str = 'alice') -> User:
    return await services.accounts.register(handle, PASSWORD, by_admin=True)


async def import_world(services: Services, owner: User, world: CompatWorld) -> str:
    result = await services.lorebooks.import_file(owner, world.filename, world.data())
    assert result.status == 'imported', result
    assert result.lorebook_id is not None
    return result.lorebook_id


async def new_book(services: Services, owner: User, name: str, *contents: str) -> str:
    book = await services.lorebooks.create(owner, LorebookFields(name=name))
    for content in contents:
        await services.lorebooks.create_entry(owner, book.id, {'content': content, 'key': [content.lower()]})
    return book.id


@contextmanager
def counted_selects(services: Services) -> Iterator[list[str]]:
    """The SELECT statements sent to the database inside the block."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith('SELECT'):
            statements.append(statement)

    engine = services.db.engine.sync_engine
    event.listen(engine, 'before_cursor_execute', record)
    try:
        yield statements
    finally:
        event.remove(engine, 'before_cursor_execute', record)


@pytest.mark.parametrize('world', WORLDS, ids=str)
async def test_compat_world_imports_with_every_entry_and_exports_back_unchanged(services: Services,
                                                                              world: CompatWorld) -> None:
    alice = await register(services)
    book_id = await import_world(services, alice, world)
    (listed,) = await services.lorebooks.list(alice)
    assert (listed.id, listed.name, listed.entry_count) == (book_id, world.filename.removesuffix('.json'),
                                                            world.entries)
    exported = json.loads((await services.lorebooks.export_world(alice, book_id)).content)
    original = json.loads(world.data())
    if world.st_format:
        assert exported == original
    else:
        assert [entry['content'] for entry in exported['entries'].values()] == \
            [entry['entry'] for entry in original['entries']]

    again = await services.lorebooks.import_file(alice, world.filename, json.dumps(exported).encode())
    assert (again.status, again.name, again.entries) == ('imported', f'{listed.name} (2)', world.entries)
    assert json.loads((await services.lorebooks.export_world(alice, again.lorebook_id)).content) == exported


async def test_import_reports_each_bad_file_and_keeps_going(services: Services) -> None:
    alice = await register(services)
    report = await services.lorebooks.import_files(alice, [
        ('broken.json', b'{"entries": {'), ('card.json', card('test-ccv3-jem.json').data()),
        ('list.json', b'[1, 2]'), (TAROT.filename, TAROT.data())])
    outcomes = [(result.filename, result.status, result.code) for result in report.results]
    assert outcomes == [('broken.json', 'failed', 'error.world_info.broken_json'),
                        ('card.json', 'failed', 'error.world_info.card_without_book'),
                        ('list.json', 'failed', 'error.world_info.not_a_lorebook'),
                        (TAROT.filename, 'imported', None)]
    assert (report.imported, report.failed) == (1, 3)
    assert [book.name for book in await services.lorebooks.list(alice)] == ['塔罗牌v1.3.0']


@pytest.mark.parametrize('compat', CARDS_WITH_BOOKS, ids=str)
async def test_card_import_creates_a_lorebook_bound_to_the_character(services: Services, compat: CompatCard) -> None:
    alice = await register(services)
    (result,) = await services.card_import.import_file(alice, compat.filename, compat.data())
    character = await services.characters.get(alice, result.character_id)
    (book_id,) = await services.lorebooks.character_book_ids(alice, character.id)
    (book,) = await services.lorebooks.list(alice)
    card_book = character.card['data']['character_book']
    assert book.id == book_id
    assert book.name == (card_book.get('name') or f"{compat.name}'s Lorebook")
    assert book.entry_count == compat.book_entries
    assert len(await services.lorebooks.entries(alice, book_id)) == compat.book_entries


async def test_named_card_books_keep_their_size(services: Services) -> None:
    alice = await register(services)
    for filename, entries in (('魔都诡事.png', 20), ('算命師.json', 16)):
        (result,) = await services.card_import.import_file(alice, filename, card(filename).data())
        (book_id,) = await services.lorebooks.character_book_ids(alice, result.character_id)
        assert len(await services.lorebooks.entries(alice, book_id)) == entries


async def test_card_export_carries_the_book_only_once_it_was_edited(services: Services) -> None:
    alice = await register(services)
    (result,) = await services.card_import.import_file(alice, '算命師.json', card('算命師.json').data())
    character = await services.characters.get(alice, result.character_id)
    original_book = character.card['data']['character_book']
    (book_id,) = await services.lorebooks.character_book_ids(alice, character.id)

    unedited = json.loads((await services.card_export.export(alice, character.id, 'json', 'v3')).content)
    assert unedited['data'] == character.card['data']

    first = (await services.lorebooks.entries(alice, book_id))[0]
    await services.lorebooks.update_entry(alice, book_id, first.uid, {'content': 'Edited fortune.',
                                                                      'key': ['算命', 'fortune']})
    edited = json.loads((await services.card_export.export(alice, character.id, 'json', 'v2')).content)
    exported_book = edited['data']['character_book']
    changed = next(entry for entry in exported_book['entries'] if entry['content'] == 'Edited fortune.')
    assert changed['keys'] == ['算命', 'fortune']
    untouched = [entry for entry in exported_book['entries'] if entry is not changed]
    assert untouched == [entry for entry in original_book['entries'] if entry['content'] != first.content]
    assert {key: value for key, value in edited['data'].items() if key != 'character_book'} == \
        {key: value for key, value in unedited['data'].items() if key != 'character_book'}


async def test_a_different_primary_book_goes_into_the_exported_card(services: Services) -> None:
    alice = await register(services)
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    book_id = await import_world(services, alice, TAROT)
    await services.lorebooks.set_character_books(alice, character.id, [book_id])
    exported = json.loads((await services.card_export.export(alice, character.id, 'json', 'v2')).content)
    book = exported['data']['character_book']
    assert book['name'] == '塔罗牌v1.3.0'
    assert sorted(entry['content'] for entry in book['entries']) == \
        sorted(entry['content'] for entry in json.loads(TAROT.data())['entries'].values())


async def test_entries_are_created_searched_edited_duplicated_and_deleted(services: Services) -> None:
    alice = await register(services)
    book_id = await import_world(services, alice, TAROT)
    before = await services.lorebooks.entries(alice, book_id)
    created = await services.lorebooks.create_entry(alice, book_id, {'comment': 'The 100% Zephyr', 'key': ['Quixote'],
                                                                     'content': 'A marmalade sky.'})
    assert created.uid == max(entry.uid for entry in before) + 1
    stored = (await services.lorebooks.entry(alice, book_id, created.uid)).to_st()
    assert (stored['order'], stored['position'], stored['probability'], stored['depth']) == (100, 0, 100, 4)

    for query, expected in (('quixote', [created.uid]), ('MARMALADE', [created.uid]), ('0% zep', [created.uid]),
                            ('100_', []), ('no such text', [])):
        assert [entry.uid for entry in await services.lorebooks.entries(alice, book_id, query)] == expected, query
    chinese_title = next(entry for entry in before if entry.comment)
    found = await services.lorebooks.entries(alice, book_id, chinese_title.comment[:2])
    assert chinese_title.uid in [entry.uid for entry in found]

    edited = await services.lorebooks.update_entry(alice, book_id, created.uid, {
        'position': POSITION_AT_DEPTH, 'depth': 2, 'role': ROLE_USER, 'keysecondary': ['quill'], 'sticky': 3})
    assert (edited.position, edited.depth, edited.role, edited.secondary_keys, edited.sticky, edited.key) == \
        (POSITION_AT_DEPTH, 2, ROLE_USER, ['quill'], 3, ['Quixote'])
    assert [entry.uid for entry in await services.lorebooks.entries(alice, book_id, 'quill')] == [created.uid]

    copy = await services.lorebooks.duplicate_entry(alice, book_id, created.uid)
    assert copy.uid == created.uid + 1
    assert (copy.content, copy.position, copy.depth) == ('A marmalade sky.', POSITION_AT_DEPTH, 2)
    await services.lorebooks.delete_entry(alice, book_id, created.uid)
    with pytest.raises(NotFoundError):
        await services.lorebooks.entry(alice, book_id, created.uid)
    assert len(await services.lorebooks.entries(alice, book_id)) == len(before) + 1


async def test_an_edited_entry_is_exported_with_only_that_change(services: Services) -> None:
    alice = await register(services)
    book_id = await import_world(services, alice, TAROT)
    original = json.loads(TAROT.data())
    uid = next(iter(original['entries'].values()))['uid']
    await services.lorebooks.update_entry(alice, book_id, uid, {'key': ['愚者', 'The Fool'], 'position': 4,
                                                                'depth': 2})
    exported = json.loads((await services.lorebooks.export_world(alice, book_id)).content)
    expected = original['entries'][str(uid)] | {'key': ['愚者', 'The Fool'], 'position': 4, 'depth': 2}
    assert exported['entries'][str(uid)] == expected
    assert {key: entry for key, entry in exported['entries'].items() if key != str(uid)} == \
        {key: entry for key, entry in original['entries'].items() if key != str(uid)}


async def test_bulk_edit_changes_only_the_selected_entries(services: Services) -> None:
    alice = await register(services)
    book_id = await new_book(services, alice, 'Bulk', 'One', 'Two', 'Three', 'Four')
    await services.lorebooks.bulk_edit(alice, book_id, BulkEdit(uids=[0, 2, 99], disable=True, position=4, depth=1,
                                                                order=7, probability=50, group='weather'))
    entries = {entry.uid: entry for entry in await services.lorebooks.entries(alice, book_id)}
    changed = [(entry.disable, entry.position, entry.depth, entry.order, entry.probability, entry.group)
               for entry in (entries[0], entries[2])]
    assert changed == [(True, 4, 1, 7, 50, 'weather')] * 2
    assert [(entries[uid].disable, entries[uid].order, entries[uid].group) for uid in (1, 3)] == \
        [(False, 100, '')] * 2

    assert await services.lorebooks.bulk_edit(alice, book_id, BulkEdit(uids=[0], disable=False)) == 1
    assert not (await services.lorebooks.entry(alice, book_id, 0)).disable
    assert await services.lorebooks.bulk_edit(alice, book_id, BulkEdit(uids=[1, 3], action='delete')) == 2
    assert [entry.content for entry in await services.lorebooks.entries(alice, book_id)] == ['One', 'Three']


async def test_names_are_unique_per_owner(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    await services.lorebooks.create(alice, LorebookFields(name='Atlas'))
    other = await services.lorebooks.create(alice, LorebookFields(name='Bestiary'))
    await services.lorebooks.create(bob, LorebookFields(name='Atlas'))
    with pytest.raises(ConflictError):
        await services.lorebooks.create(alice, LorebookFields(name='Atlas'))
    with pytest.raises(ConflictError):
        await services.lorebooks.update(alice, other.id, LorebookUpdate(name='Atlas'))
    renamed = await services.lorebooks.update(alice, other.id, LorebookUpdate(name='Monsters', description='Beasts'))
    assert (renamed.name, renamed.description) == ('Monsters', 'Beasts')
    exported = json.loads((await services.lorebooks.export_world(alice, other.id)).content)
    assert exported == {'entries': {}, 'description': 'Beasts'}


async def test_another_users_books_read_as_missing(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    book_id = await new_book(services, alice, 'Private', 'Secret')
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    attempts = [services.lorebooks.get(bob, book_id), services.lorebooks.entries(bob, book_id),
                services.lorebooks.entry(bob, book_id, 0),
                services.lorebooks.update(bob, book_id, LorebookUpdate(name='Mine')),
                services.lorebooks.update_entry(bob, book_id, 0, {'content': 'x'}),
                services.lorebooks.create_entry(bob, book_id, {}), services.lorebooks.delete_entry(bob, book_id, 0),
                services.lorebooks.bulk_edit(bob, book_id, BulkEdit(uids=[0], action='delete')),
                services.lorebooks.export_world(bob, book_id), services.lorebooks.delete(bob, book_id),
                services.lorebooks.set_global_books(bob, [book_id]), services.lorebooks.set_global(bob, book_id, True),
                services.lorebooks.set_character_books(alice, character.id, ['nope']),
                services.lorebooks.set_character_books(bob, character.id, [])]
    for attempt in attempts:
        with pytest.raises(NotFoundError):
            await attempt
    assert await services.lorebooks.list(bob) == []
    assert [entry.content for entry in await services.lorebooks.entries(alice, book_id)] == ['Secret']


async def test_books_for_chat_come_in_sillytavern_order_without_duplicates(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    lore = services.lorebooks
    books = {name: await new_book(services, alice, name, f'{name} lore') for name in
             ('Zeta global', 'Alpha global', 'Primary', 'Extra', 'Persona', 'Chat', 'Unused')}
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    persona = await services.personas.create(alice, PersonaFields(name='Ash'))
    chat = await services.chats.start(alice, character.id, persona_id=persona.id)
    await lore.set_global_books(alice, [books['Zeta global'], books['Alpha global'], books['Chat']])
    await lore.set_character_books(alice, character.id, [books['Primary'], books['Extra'], books['Alpha global']])
    await lore.set_persona_book(alice, persona.id, books['Persona'])
    await lore.set_chat_book(alice, chat.id, books['Chat'])
    await lore.create_entry(alice, books['Primary'], {'content': 'switched off', 'disable': True})
    await new_book(services, bob, 'Bob global')
    await lore.set_global_books(bob, [(await lore.list(bob))[0].id])

    with counted_selects(services) as selects:
        sources = await lore.books_for_chat(alice, chat)
    assert len(selects) <= 2
    assert [(source.name, source.scope) for source in sources] == [
        ('Chat', 'chat'), ('Persona', 'persona'), ('Primary', 'character'), ('Extra', 'character'),
        ('Alpha global', 'character'), ('Zeta global', 'global')]
    assert [[entry.content for entry in source.entries] for source in sources][:3] == \
        [['Chat lore'], ['Persona lore'], ['Primary lore']]

    await services.chats.configure(alice, chat.id, ChatConfig(persona_id=None))
    chat = await services.chats.get(alice, chat.id)
    assert 'Persona' not in [source.name for source in await lore.books_for_chat(alice, chat)]
    await services.personas.update(alice, persona.id, PersonaUpdate(is_default=True))
    assert 'Persona' in [source.name for source in await lore.books_for_chat(alice, chat)]


async def test_deleting_a_target_or_a_book_removes_its_bindings(services: Services) -> None:
    alice = await register(services)
    lore = services.lorebooks
    book_id = await new_book(services, alice, 'Shared')
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    persona = await services.personas.create(alice, PersonaFields(name='Ash'))
    chat = await services.chats.start(alice, character.id)
    await lore.set_chat_book(alice, chat.id, book_id)
    await lore.set_persona_book(alice, persona.id, book_id)
    await lore.set_global(alice, book_id, True)
    bindings = await lore.bindings(alice)
    assert (bindings.chats, bindings.personas, bindings.global_ids) == ({chat.id: book_id},
                                                                         {persona.id: book_id}, [book_id])
    await services.chats.delete(alice, chat.id)
    await services.personas.delete(alice, persona.id)
    bindings = await lore.bindings(alice)
    assert (bindings.chats, bindings.personas, bindings.global_ids) == ({}, {}, [book_id])
    await lore.set_character_books(alice, character.id, [book_id])
    await services.characters.delete(alice, character.id)
    assert (await lore.bindings(alice)).characters == {}
    await lore.delete(alice, book_id)
    assert (await lore.bindings(alice)).global_ids == []


async def test_one_book_per_chat_and_persona(services: Services) -> None:
    alice = await register(services)
    first, second = await new_book(services, alice, 'First'), await new_book(services, alice, 'Second')
    character = await services.characters.create(alice, CharacterFields(name='Iris'))
    chat: Chat = await services.chats.start(alice, character.id)
    await services.lorebooks.set_chat_book(alice, chat.id, first)
    await services.lorebooks.set_chat_book(alice, chat.id, second)
    assert await services.lorebooks.chat_book_id(alice, chat.id) == second
    await services.lorebooks.set_chat_book(alice, chat.id, None)
    assert await services.lorebooks.chat_book_id(alice, chat.id) is None
    await services.lorebooks.set_global(alice, first, True)
    await services.lorebooks.set_global(alice, first, True)
    assert await services.lorebooks.global_book_ids(alice) == [first]
    assert [book.is_global for book in await services.lorebooks.list(alice)] == [True, False]


async def test_world_info_settings_are_kept_per_user(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    assert await services.lorebooks.world_info_settings(alice) == WorldInfoSettings()
    changed = WorldInfoSettings(scan_depth=5, budget_percent=40, budget_cap=1500, recursive=True,
                                max_recursion_steps=3, min_activations=2, case_sensitive=True,
                                match_whole_words=True, use_group_scoring=True, include_names=False,
                                character_strategy=2)
    assert await services.lorebooks.update_world_info_settings(alice, changed) == changed
    assert await services.lorebooks.world_info_settings(alice) == changed
    assert await services.lorebooks.world_info_settings(bob) == WorldInfoSettings()
    again = WorldInfoSettings(scan_depth=1)
    await services.lorebooks.update_world_info_settings(alice, again)
    assert await services.lorebooks.world_info_settings(alice) == again


async def test_settings_out_of_range_show_as_their_defaults(services: Services) -> None:
    alice = await register(services)
    await services.lorebooks.update_world_info_settings(alice, WorldInfoSettings(scan_depth=3, character_strategy=7,
                                                                                 budget_percent=0))
    fields = WorldInfoSettingsFields.of(await services.lorebooks.world_info_settings(alice))
    assert (fields.scan_depth, fields.character_strategy, fields.budget_percent) == (3, 1, 25)
