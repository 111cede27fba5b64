"""The library's Import dialog (many card files at once, one result line each) and the editor's Export menu."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.characters import CharacterQuery
from tests.support.compat_cards import file_data

Login = Callable[..., Awaitable[Account]]


async def _upload(user: User, *filenames: str) -> None:
    (upload,) = user.find(marker='card-import-upload').elements
    assert isinstance(upload, ui.upload)
    files = [ui.upload.SmallFileUpload(name, 'application/octet-stream', file_data(name)) for name in filenames]
    with user:
        await upload.handle_uploads(files)


async def _names(owner: Account) -> list[str]:
    page = await runtime.services().characters.search(owner, CharacterQuery(sort='name'))
    return [item.name for item in page.items]


async def test_import_dialog_shows_a_result_per_file_and_fills_the_library(user: User, login: Login) -> None:
    alice = await login()
    await user.open('/')
    await user.should_see(marker='empty-state')
    user.find(marker='import-characters').click()
    await user.should_see('Import characters')
    await _upload(user, 'Dr._Light.png', 'test-card.json', 'invalid_missing_name.json', 'Professor_Mari.png')
    await user.should_see('2 imported, 0 already in your library, 2 failed.', retries=50)
    await user.should_see('Imported as Dr. Light.')
    await user.should_see('Imported as Luna Starweaver.')
    await user.should_see('Not imported: The card has no character name. Add a name to the card and import it again.')
    await user.should_see('Not imported: This file is a Git LFS pointer, not the card itself.')
    assert len(user.find(marker='card-import-result').elements) == 4
    await user.should_see(marker='tile-name', content='Dr. Light')
    await user.should_see(marker='tile-name', content='Luna Starweaver')
    assert await _names(alice) == ['Dr. Light', 'Luna Starweaver']

    await _upload(user, 'Dr._Light.png', 'Mio_Hanabishi.png')
    await user.should_see('1 imported, 1 already in your library, 0 failed.', retries=50)
    await user.should_see('Already in your library as Dr. Light; skipped.')
    await user.should_see('Imported as Mio Hanabishi, without its picture: The image is damaged or incomplete')
    user.find(marker='card-import-close').click()
    await user.should_see(marker='tile-name', content='Mio Hanabishi')


async def test_import_dialog_in_chinese(user: User, login: Login) -> None:
    alice = await login()
    await runtime.services().accounts.update_preferences(alice.id, locale='zh-CN')
    await user.open('/')
    user.find(marker='import-characters').click()
    await _upload(user, '渚_汐风3.png')
    await user.should_see('导入 1 个，已在角色库中 0 个，失败 0 个。', retries=50)
    await user.should_see('已导入为 渚 汐风。')


async def test_export_menu_downloads_each_format(user: User, login: Login) -> None:
    alice = await login()
    (result,) = await runtime.services().card_import.import_file(alice, 'Lumia.png',
                                                                 file_data('Lumia_-_Weaver_of_the_Lucid_Loom.png'))
    await user.open(f'/characters/{result.character_id}')
    await user.should_see(marker='editor-export')
    user.find(marker='editor-export').click()
    user.find(marker='export-png-v2').click()
    png = await user.download.next(timeout=5)
    assert png.status_code == 200 and png.headers['content-type'] == 'image/png'
    assert 'filename="Lumia, Weaver of the Lucid Loom.png"' in png.headers['content-disposition']
    (again,) = await runtime.services().card_import.import_file(alice, 'again.png', png.content)
    assert (again.status, again.character_id) == ('duplicate', result.character_id)

    user.find(marker='export-json-v3').click()
    document = json.loads((await user.download.next(timeout=5)).content)
    assert (document['spec'], len(document['data']['alternate_greetings'])) == ('chara_card_v3', 7)
    user.find(marker='export-json-v2').click()
    assert json.loads((await user.download.next(timeout=5)).content)['spec'] == 'chara_card_v2'
    user.find(marker='export-charx-v3').click()
    assert (await user.download.next(timeout=5)).content.startswith(b'PK\x03\x04')


async def test_a_new_character_has_no_export_menu(user: User, login: Login) -> None:
    await login()
    await user.open('/characters/new')
    await user.should_see(marker='field-name')
    await user.should_not_see(marker='editor-export')
