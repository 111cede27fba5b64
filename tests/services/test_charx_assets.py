"""A CharX card keeps all its files: expressions, backgrounds, other icons, sounds and files no asset lists are
stored by content on import and written back byte for byte, with the card's `assets` array as it was, by a CharX
export; PNG and JSON exports do not change. The archive limits still hold."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from typing import Any

from app.db.models import User
from app.services.card_formats import CardFileLimits
from app.services.card_formats.charx import KEPT_FILES_KEY
from app.services.card_formats.png_chunks import text_chunks
from app.services.card_import import CardImportService
from app.services.container import Services
from tests.support.compat_cards import card
from tests.support.images import image_bytes, png_bytes

PASSWORD = 'correct horse battery'
ICON = png_bytes((40, 60), 'navy')
HAPPY = png_bytes((32, 32), 'gold')
ASSETS = [
    {'type': 'icon', 'uri': 'embeded://assets/icon/images/1.png', 'name': 'main', 'ext': 'png'},
    {'type': 'icon', 'uri': 'embeded://assets/icon/images/2.webp', 'name': 'casual', 'ext': 'webp'},
    {'type': 'emotion', 'uri': 'embeded://assets/emotion/images/happy.png', 'name': 'happy', 'ext': 'png'},
    {'type': 'emotion', 'uri': 'embedded://assets/emotion/images/joy.png', 'name': 'joy', 'ext': 'png'},
    {'type': 'background', 'uri': '__asset:assets/background/images/茶室.jpg', 'name': '茶室', 'ext': 'jpg'},
    {'type': 'x-risu-asset', 'uri': 'embeded://assets/other/audio/theme.mp3', 'name': 'theme', 'ext': 'mp3'},
    {'type': 'other', 'uri': 'https://example.com/far-away.png', 'name': 'remote', 'ext': 'png'},
]
FILES = {
    'assets/icon/images/1.png': ICON,
    'assets/icon/images/2.webp': image_bytes('WEBP', (20, 20), 'pink'),
    'assets/emotion/images/happy.png': HAPPY,
    'assets/emotion/images/joy.png': HAPPY,
    'assets/background/images/茶室.jpg': image_bytes('JPEG', (80, 40), 'olive'),
    'assets/other/audio/theme.mp3': b'ID3\x04\x00' + bytes(range(256)) * 8,
    'assets/notes/作者のメモ.txt': 'このキャラクターは静かです。'.encode(),
    'x_meta/1.json': b'{"type": "png"}',
}


def charx(card_json: dict[str, Any], files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('card.json', json.dumps(card_json, ensure_ascii=False))
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def v3(name: str, assets: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {'spec': 'chara_card_v3', 'spec_version': '3.0', **top,
            'data': {'name': name, 'description': '茶道の師匠。', 'first_mes': 'いらっしゃい。', 'assets': assets,
                     'group_only_greetings': []}}


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stored_assets(services: Services) -> list[str]:
    folder = services.settings.media_dir / 'assets'
    return sorted(path.name for path in folder.rglob('*') if path.is_file()) if folder.exists() else []


async def register(services: Services, handle: str = 'alice') -> User:
    return await services.accounts.register(handle, PASSWORD, by_admin=True)


async def import_one(services: Services, owner: User, filename: str, data: bytes) -> str:
    (result,) = await services.card_import.import_file(owner, filename, data)
    assert result.status == 'imported', result
    assert result.character_id is not None
    return result.character_id


async def test_the_community_charx_keeps_its_expression_and_exports_it_back(services: Services) -> None:
    alice = await register(services)
    compat = card('test_character.charx')
    original = unzip(compat.data())
    character_id = await import_one(services, alice, compat.filename, compat.data())
    character = await services.characters.get(alice, character_id)
    assert set(character.card[KEPT_FILES_KEY]['files']) == {'assets/emotions/happy.png'}
    assert stored_assets(services) == [character.card[KEPT_FILES_KEY]['files']['assets/emotions/happy.png']]

    exported = unzip((await services.card_export.export(alice, character_id, 'charx', 'v3')).content)
    assert set(exported) == set(original) == {'card.json', 'assets/main.png', 'assets/emotions/happy.png'}
    assert exported['assets/main.png'] == original['assets/main.png']
    assert exported['assets/emotions/happy.png'] == original['assets/emotions/happy.png']
    written, source = json.loads(exported['card.json']), json.loads(original['card.json'])
    assert written['data']['assets'] == source['data']['assets']
    assert KEPT_FILES_KEY not in written


async def test_every_file_of_a_charx_comes_back_byte_identical(services: Services) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    data = charx(v3('千代', ASSETS), FILES)
    character_id = await import_one(services, alice, '千代.charx', data)
    character = await services.characters.get(alice, character_id)
    assert character.card['data']['assets'][0]['uri'] == 'ccdefault:'
    assert services.media.avatar(character.avatar_hash or '') is not None
    assert set(character.card[KEPT_FILES_KEY]['files']) == set(FILES) - {'assets/icon/images/1.png'}
    assert len(stored_assets(services)) == len(FILES) - 2, 'the icon is the avatar; happy and joy share one file'

    download = await services.card_export.export(alice, character_id, 'charx', 'v3')
    exported = unzip(download.content)
    assert {name: content for name, content in exported.items() if name != 'card.json'} == FILES
    written = json.loads(exported['card.json'])
    assert written['data']['assets'] == ASSETS and KEPT_FILES_KEY not in written

    (again,) = await services.card_import.import_file(alice, download.filename, download.content)
    assert (again.status, again.character_id) == ('duplicate', character_id)
    copy_id = await import_one(services, bob, download.filename, download.content)
    copy = await services.characters.get(bob, copy_id)
    assert copy.card['data'] == character.card['data'] and copy.card[KEPT_FILES_KEY] == character.card[KEPT_FILES_KEY]
    copied = unzip((await services.card_export.export(bob, copy_id, 'charx', 'v3')).content)
    assert json.loads(copied.pop('card.json')) == written and copied == {**FILES}


async def test_png_and_json_exports_carry_no_bookkeeping(services: Services) -> None:
    alice = await register(services)
    character_id = await import_one(services, alice, 'chiyo.charx', charx(v3('千代', ASSETS), FILES))
    stored = (await services.characters.get(alice, character_id)).card
    for spec in ('v2', 'v3'):
        document = json.loads((await services.card_export.export(alice, character_id, 'json', spec)).content)
        assert KEPT_FILES_KEY not in document and document['data'] == stored['data']
    png = (await services.card_export.export(alice, character_id, 'png', 'v2')).content
    chunks = {chunk.keyword: chunk.text for chunk in text_chunks(png)}
    assert set(chunks) == {'chara', 'ccv3'}
    for text in chunks.values():
        document = json.loads(base64.b64decode(text or ''))
        assert KEPT_FILES_KEY not in document and document['data'] == stored['data']


async def test_a_new_avatar_is_exported_as_the_icon_and_the_other_files_stay(services: Services) -> None:
    alice = await register(services)
    character_id = await import_one(services, alice, 'chiyo.charx', charx(v3('千代', ASSETS), FILES))
    new_avatar = image_bytes('JPEG', (30, 30), 'red')
    await services.characters.set_avatar(alice, character_id, new_avatar)
    exported = unzip((await services.card_export.export(alice, character_id, 'charx', 'v3')).content)
    assert exported['assets/icon/image/main.jpg'] == new_avatar and 'assets/icon/images/1.png' not in exported
    assert exported['assets/emotion/images/happy.png'] == HAPPY
    icon = json.loads(exported['card.json'])['data']['assets'][0]
    assert icon == {'type': 'icon', 'uri': 'embeded://assets/icon/image/main.jpg', 'name': 'main', 'ext': 'jpg'}


async def test_a_refused_icon_picture_is_kept_as_a_file(services: Services) -> None:
    alice = await register(services)
    broken = {**FILES, 'assets/icon/images/1.png': b'\x89PNG\r\n\x1a\nnot really'}
    (result,) = await services.card_import.import_file(alice, 'broken.charx', charx(v3('千代', ASSETS), broken))
    assert (result.status, result.code) == ('imported', 'error.media.broken_image')
    character = await services.characters.get(alice, result.character_id or '')
    assert character.avatar_hash is None and 'icon' not in character.card[KEPT_FILES_KEY]
    exported = unzip((await services.card_export.export(alice, character.id, 'charx', 'v3')).content)
    assert {name: content for name, content in exported.items() if name != 'card.json'} == broken
    assert json.loads(exported['card.json'])['data']['assets'] == ASSETS


async def test_a_card_cannot_smuggle_in_someone_elses_stored_files(services: Services) -> None:
    alice, mallory = await register(services), await register(services, 'mallory')
    await import_one(services, alice, 'chiyo.charx', charx(v3('千代', ASSETS), FILES))
    secret = hashlib.sha256(FILES['assets/background/images/茶室.jpg']).hexdigest()
    assert services.media.asset(secret) is not None
    forged = v3('Thief', [], **{KEPT_FILES_KEY: {'files': {'loot.jpg': secret}}})
    character_id = await import_one(services, mallory, 'thief.json', json.dumps(forged).encode())
    assert KEPT_FILES_KEY not in (await services.characters.get(mallory, character_id)).card
    exported = unzip((await services.card_export.export(mallory, character_id, 'charx', 'v3')).content)
    assert set(exported) == {'card.json'}


async def test_the_archive_limits_still_apply_to_assets(services: Services) -> None:
    alice = await register(services)
    small = CardImportService(services.characters, services.media, services.lorebooks,
                              CardFileLimits(max_unpacked_bytes=20_000))
    files = {**FILES, 'assets/other/video/intro.webm': bytes(range(256)) * 100}
    (result,) = await small.import_file(alice, 'big.charx', charx(v3('千代', ASSETS), files))
    assert (result.status, result.code) == ('failed', 'error.card.zip_too_large')
    bomb = {'assets/other/bomb.bin': b'\0' * (3 * 1024 * 1024)}
    (refused,) = await services.card_import.import_file(alice, 'bomb.charx', charx(v3('千代', []), bomb))
    assert (refused.status, refused.code) == ('failed', 'error.card.zip_bomb')
    assert stored_assets(services) == []
