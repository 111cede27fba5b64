"""The "Migrate from SillyTavern" page: reached from Settings, upload a zip, watch the job finish, read the report
(counts per kind and one table row per item); a refused zip shows the reason, and a reload shows the job again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.characters import CharacterQuery
from tests.support.sillytavern_folder import EXPECTED, IMPORTED_CHARACTERS, build_user_folder, zip_folder

Login = Callable[..., Awaitable[Account]]
FINISH_RETRIES = 300
STATUS_LABELS = {'imported': 'Imported', 'skipped': 'Already here', 'failed': 'Failed'}


async def _upload(user: User, data: bytes, name: str = 'SillyTavern.zip') -> None:
    (upload,) = user.find(marker='migration-upload').elements
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/zip', data)])


def _report_rows(user: User) -> list[dict]:
    (table,) = user.find(marker='migration-report').elements
    assert isinstance(table, ui.table)
    return table.rows


async def test_upload_a_zip_and_read_the_report(user: User, login: Login, tmp_path: Path) -> None:
    alice = await login()
    await user.open('/settings')
    user.find(marker='open-migration').click()
    await user.should_see('Zip your SillyTavern user folder')
    await _upload(user, zip_folder(build_user_folder(tmp_path / 'st'), 'default-user'))

    await user.should_see(marker='migration-finished', retries=FINISH_RETRIES)
    await user.should_see('Characters: 5 imported, 0 already here, 1 failed')
    await user.should_see('Presets: 9 imported, 0 already here, 0 failed')
    await user.should_see('Backgrounds (1 files) are not migrated: chat backgrounds are not supported yet.')
    rows = _report_rows(user)
    assert [(row['source'], row['name'], row['status']) for row in rows] == [
        (source, name, STATUS_LABELS[status]) for _, source, name, status, _ in EXPECTED]
    mari = next(row for row in rows if row['source'] == 'characters/Professor Mari.png')
    assert (mari['kind'], mari['reason']) == ('Characters', 'This file is a Git LFS pointer, not the card itself. '
                                              'Download the real file (for example with "git lfs pull") and import '
                                              'that.')
    page = await runtime.services().characters.search(alice, CharacterQuery(sort='name'))
    assert [item.name for item in page.items] == IMPORTED_CHARACTERS

    user.find(marker='migration-library-link').click()
    await user.should_see(marker='tile-name', content='Seraphina')


async def test_a_reload_shows_the_job_again(user: User, login: Login, tmp_path: Path) -> None:
    alice = await login()
    job = await runtime.services().migration.jobs.start(alice, zip_folder(build_user_folder(tmp_path / 'st')))
    await user.open(f'/migration?job={job.id}')
    await user.should_see(marker='migration-finished', retries=FINISH_RETRIES)
    await user.should_see('Personas: 2 imported, 0 already here, 0 failed')

    await user.open('/migration?job=no-such-job')
    await user.should_see('No such migration. Its report is kept for a day.')


async def test_a_refused_zip_shows_the_reason(user: User, login: Login) -> None:
    await login()
    await user.open('/migration')
    await _upload(user, b'plain text, not a zip', 'notes.txt')
    await user.should_see('This file is not a zip. Zip your SillyTavern data folder (data/<user>/) and upload the '
                          'zip.')
    await user.should_not_see(marker='migration-finished')


async def test_the_page_in_chinese(user: User, login: Login, tmp_path: Path) -> None:
    alice = await login()
    await runtime.services().accounts.update_preferences(alice.id, locale='zh-CN')
    await user.open('/migration')
    await user.should_see('从 SillyTavern 迁移')
    await _upload(user, zip_folder(build_user_folder(tmp_path / 'st')))
    await user.should_see('角色：导入 5 个，已存在 0 个，失败 1 个', retries=FINISH_RETRIES)
    ghost = next(row for row in _report_rows(user) if row['source'].startswith('chats/Ghost/'))
    assert (ghost['kind'], ghost['status'], ghost['reason']) == (
        '聊天', '失败', '这个聊天的角色不在你的角色库中：characters/Ghost.png 不存在或未能导入。')
