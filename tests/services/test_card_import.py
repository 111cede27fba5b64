"""Importing and exporting character cards through the services, on SQLite and PostgreSQL, with the real community
cards: each imports with its content and picture, comes back out of every export format as the same card, and is
recognised as a duplicate when it comes again."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlmodel import func, select

from app.db.models import Character, User
from app.errors import InvalidInputError, NotFoundError
from app.services.card_export import FALLBACK_STEM
from app.services.card_formats.content_hash import content_hash
from app.services.character_card import CharacterFields, CharacterUpdate
from app.services.container import Services
from app.services.downloads import filename_stem
from tests.support.compat_cards import CARDS, MALFORMED, CompatCard, MalformedCard, card
from tests.support.images import image_bytes

PASSWORD = 'correct horse battery'
EXPORTS = (('png', 'v2'), ('json', 'v2'), ('json', 'v3'), ('charx', 'v3'))


async def register(services: Services, handle: str = 'alice') -> User:
    return await services.accounts.register(handle, PASSWORD, by_admin=True)


async def character_count(services: Services) -> int:
    async with services.db.session() as session:
        return (await session.exec(select(func.count()).select_from(Character))).one()


def stored_avatars(services: Services) -> list[str]:
    folder = services.settings.media_dir / 'avatars'
    return sorted(path.name for path in folder.rglob('*') if path.is_file()) if folder.exists() else []


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize('compat', CARDS, ids=str)
async def test_compat_card_imports_and_round_trips_through_every_format(services: Services,
                                                                        compat: CompatCard) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    (result,) = await services.card_import.import_file(alice, compat.filename, compat.data())
    assert (result.status, result.name) == ('imported', compat.name), result
    character = await services.characters.get(alice, result.character_id)
    data = character.card['data']
    assert len(data['alternate_greetings']) == compat.alternate_greetings
    assert len((data.get('character_book') or {'entries': []})['entries']) == compat.book_entries
    assert (character.avatar_hash is not None) == compat.has_picture
    assert character.content_hash == content_hash(character.card)

    for fmt, spec in EXPORTS:
        download = await services.card_export.export(alice, character.id, fmt, spec)
        assert download.filename == f'{filename_stem(compat.name, FALLBACK_STEM)}.{fmt}'
        (again,) = await services.card_import.import_file(alice, download.filename, download.content)
        assert (again.status, again.character_id) == ('duplicate', character.id), (fmt, again)
        (copy,) = await services.card_import.import_file(bob, download.filename, download.content)
        assert copy.status == 'imported', (fmt, copy)
        copied = await services.characters.get(bob, copy.character_id)
        assert copied.card['data'] == character.card['data'], fmt
        assert (copied.avatar_hash is not None) == (fmt == 'png' or (fmt == 'charx' and compat.has_picture))
        await services.characters.delete(bob, copied.id)


@pytest.mark.parametrize('malformed', MALFORMED, ids=str)
async def test_malformed_compat_card_fails_and_writes_nothing(services: Services, malformed: MalformedCard) -> None:
    alice = await register(services)
    (result,) = await services.card_import.import_file(alice, malformed.filename, malformed.data())
    assert (result.status, result.code, result.character_id) == ('failed', malformed.code, None)
    assert result.message
    assert await character_count(services) == 0
    assert stored_avatars(services) == []


async def test_a_broken_picture_is_left_out_and_reported(services: Services) -> None:
    alice = await register(services)
    compat = card('Mio_Hanabishi.png')
    (result,) = await services.card_import.import_file(alice, compat.filename, compat.data())
    assert (result.status, result.code) == ('imported', 'error.media.broken_image')
    assert (await services.characters.get(alice, result.character_id)).avatar_hash is None


async def test_charx_icon_becomes_the_avatar(services: Services) -> None:
    alice = await register(services)
    compat = card('test_character.charx')
    (result,) = await services.card_import.import_file(alice, compat.filename, compat.data())
    character = await services.characters.get(alice, result.character_id)
    assert services.media.avatar(character.avatar_hash).content_type == 'image/png'
    assert character.card['data']['assets'] == [{'type': 'icon', 'uri': 'ccdefault:', 'name': 'main', 'ext': 'png'}]
    assert character.card['data']['nickname'] == 'TestChar'


async def test_batch_with_a_zip_of_cards(services: Services) -> None:
    alice = await register(services)
    bundle = zip_of({'Dr._Light.png': card('Dr._Light.png').data(), 'sub/test-card.json': card('test-card.json').data(),
                     'bad.json': b'{"spec": "chara_card_v2", "data": {}}', 'inner.zip': zip_of({'x.json': b'{}'}),
                     'notes.txt': b'hello', '__MACOSX/._Dr._Light.png': b'junk', '.DS_Store': b'junk'})
    report = await services.card_import.import_files(alice, [('cards.zip', bundle), ('Example.json',
                                                                                      card('Example.json').data())])
    outcomes = {result.filename: (result.status, result.code) for result in report.results}
    assert outcomes == {
        'cards.zip/Dr._Light.png': ('imported', None),
        'cards.zip/sub/test-card.json': ('imported', None),
        'cards.zip/bad.json': ('failed', 'error.card.no_name'),
        'cards.zip/inner.zip': ('failed', 'error.card.nested_zip'),
        'cards.zip/notes.txt': ('failed', 'error.card.unsupported_file'),
        'Example.json': ('imported', None),
    }
    assert (report.imported, report.duplicates, report.failed) == (3, 0, 3)
    again = await services.card_import.import_files(alice, [('cards.zip', bundle)])
    assert (again.imported, again.duplicates, again.failed) == (0, 2, 3)
    assert await character_count(services) == 3


async def test_a_zip_bomb_fails_without_stopping_the_batch(services: Services) -> None:
    alice = await register(services)
    bomb = zip_of({'a.json': b' ' * (5 * 1024 * 1024) + b'{}'})
    report = await services.card_import.import_files(alice, [('bomb.zip', bomb), ('Example.json',
                                                                                  card('Example.json').data())])
    assert [(result.filename, result.status, result.code) for result in report.results] == [
        ('bomb.zip', 'failed', 'error.card.zip_bomb'), ('Example.json', 'imported', None)]


async def test_too_many_files_at_once(services: Services) -> None:
    alice = await register(services)
    files = [(f'{index}.json', b'{}') for index in range(services.card_import.limits.max_files + 1)]
    with pytest.raises(InvalidInputError) as error:
        await services.card_import.import_files(alice, files)
    assert error.value.code == 'error.card.too_many_files'


async def test_same_card_in_another_format_is_a_duplicate(services: Services) -> None:
    alice = await register(services)
    (first,) = await services.card_import.import_file(alice, 'Shodan_v2.png', card('Shodan_v2.png').data())
    exported = await services.card_export.export(alice, first.character_id, 'json', 'v3')
    (second,) = await services.card_import.import_file(alice, 'shodan.json', exported.content)
    assert (second.status, second.character_id, second.name) == ('duplicate', first.character_id, 'Shodan')


async def test_content_hash_follows_create_update_and_samples(services: Services) -> None:
    alice = await register(services)
    created = await services.characters.create(alice, CharacterFields(name='Maren'))
    assert created.content_hash == content_hash(created.card)
    updated = await services.characters.update(alice, created.id, CharacterUpdate(description='Keeper'))
    assert updated.content_hash == content_hash(updated.card) != created.content_hash
    assert (await services.characters.find_by_content(alice, updated.content_hash)).id == created.id
    sample = await services.characters.add_sample(alice, services.characters.samples()[0].slug)
    assert sample.content_hash == content_hash(sample.card)
    bob = await register(services, 'bob')
    assert await services.characters.find_by_content(bob, updated.content_hash) is None


async def test_export_of_another_users_character_is_not_found(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    character = await services.characters.create(alice, CharacterFields(name='Private'))
    with pytest.raises(NotFoundError):
        await services.card_export.export(bob, character.id, 'json', 'v2')


async def test_export_without_avatar_and_with_a_jpeg_avatar(services: Services) -> None:
    alice = await register(services)
    character = await services.characters.create(alice, CharacterFields(name='a/b: "c"?'))
    download = await services.card_export.export(alice, character.id, 'png', 'v2')
    assert download.filename == 'a_b_ _c_.png' and download.media_type == 'image/png'
    await services.characters.set_avatar(alice, character.id, image_bytes('JPEG'))
    charx = await services.card_export.export(alice, character.id, 'charx', 'v3')
    with zipfile.ZipFile(io.BytesIO(charx.content)) as archive:
        assert 'assets/icon/image/main.jpg' in archive.namelist()
        assert json.loads(archive.read('card.json'))['data']['assets'][0]['ext'] == 'jpg'
    png = await services.card_export.export(alice, character.id, 'png', 'v2')
    assert png.content.startswith(b'\x89PNG')


def test_filename_stem() -> None:
    assert filename_stem('渚 汐风', FALLBACK_STEM) == '渚 汐风'
    assert filename_stem('../..', FALLBACK_STEM) == '_'
    assert filename_stem(' . ', FALLBACK_STEM) == 'character'
    assert len(filename_stem('x' * 300, FALLBACK_STEM)) == 100
