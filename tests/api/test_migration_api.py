"""`/api/v1/import/sillytavern`: upload a zip of a SillyTavern folder, poll the background job until it finishes,
read the report; bad zips are refused at once with the reason, and a job belongs to the user who started it."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from app.services.container import Services
from app.services.sillytavern_migration import MigrationLimits
from tests.support.sillytavern_folder import EXPECTED, EXPECTED_NOTES, build_user_folder, zip_folder

Login = Callable[..., Awaitable[dict[str, str]]]
URL = '/api/v1/import/sillytavern'
POLLS = 600


async def start(client: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> httpx.Response:
    return await client.post(URL, headers=headers, files={'file': ('SillyTavern.zip', data, 'application/zip')})


async def finished(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    """Poll the job until it is no longer running (the job runs on this test's event loop)."""
    for _ in range(POLLS):
        job = (await client.get(f'{URL}/{job_id}', headers=headers)).json()
        if job['state'] != 'running':
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f'the migration did not finish: {job}')


async def test_upload_poll_and_read_the_report(client: httpx.AsyncClient, login: Login, tmp_path: Path) -> None:
    headers = await login()
    response = await start(client, headers, zip_folder(build_user_folder(tmp_path / 'st'), 'default-user'))
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job['state'], job['report'], job['error']) == ('running', None, None)
    assert 'owner_id' not in job

    done = await finished(client, headers, job['id'])

    assert done['state'] == 'finished' and done['done'] == done['total'] > 0
    items = done['report']['items']
    assert [(item['kind'], item['source'], item['name'], item['status'],
             item['reason']['code'] if item['reason'] else None) for item in items] == EXPECTED
    assert done['report']['counts']['character'] == {'imported': 5, 'skipped': 0, 'failed': 1}
    assert [note['code'] for note in done['report']['notes']] == EXPECTED_NOTES
    library = (await client.get('/api/v1/characters', headers=headers)).json()
    assert {item['name'] for item in library['items']} == {
        'Dr. Light', 'Luna Starweaver', 'Seraphina', 'Test Character', '魔都诡事'}

    again = await finished(client, headers, (await start(client, headers, zip_folder(tmp_path / 'st'))).json()['id'])
    assert {kind: counts['imported'] for kind, counts in again['report']['counts'].items()} == dict.fromkeys(
        again['report']['counts'], 0)


async def test_reasons_come_in_the_callers_language(client: httpx.AsyncClient, login: Login, tmp_path: Path) -> None:
    headers = {**await login(), 'Accept-Language': 'zh-CN'}
    job = (await start(client, headers, zip_folder(build_user_folder(tmp_path / 'st')))).json()
    report = (await finished(client, headers, job['id']))['report']
    reasons = {item['source']: item['reason']['message'] for item in report['items'] if item['reason']}
    assert reasons['chats/Ghost/Ghost - 2024-1-1@00h00m00s.jsonl'] == \
        '这个聊天的角色不在你的角色库中：characters/Ghost.png 不存在或未能导入。'


async def test_a_job_belongs_to_its_user(client: httpx.AsyncClient, login: Login, tmp_path: Path) -> None:
    alice = await login()
    job = (await start(client, alice, zip_folder(build_user_folder(tmp_path / 'st')))).json()
    bob = await login('bob')
    response = await client.get(f'{URL}/{job["id"]}', headers=bob)
    assert response.status_code == 404
    assert response.json()['code'] == 'error.migration.job_not_found'
    assert (await finished(client, alice, job['id']))['state'] == 'finished'
    assert (await client.get('/api/v1/characters', headers=bob)).json()['total'] == 0
    client.cookies.clear()
    assert (await client.get(f'{URL}/{job["id"]}')).status_code == 401


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_bad_zips_are_refused_at_once(client: httpx.AsyncClient, login: Login, services: Services) -> None:
    headers = await login()
    cases = [
        (zip_of({'characters/Seraphina.png': b'\0' * (20 * 1024 * 1024)}), 422, 'error.card.zip_bomb',
         'The file "characters/Seraphina.png" in the archive unpacks to more than 100 times its packed size and was '
         'refused as a possible zip bomb.'),
        (zip_of({'characters/Seraphina.json': b'{}', '../../etc/cron.d/evil': b'* * * * * root true'}), 422,
         'error.card.zip_unsafe_path', 'The archive contains an unsafe file path ("../../etc/cron.d/evil") and was '
         'refused.'),
        (zip_of({'photos/cat.jpg': b'meow'}), 422, 'error.migration.not_sillytavern',
         'No SillyTavern data was found here. Expected a SillyTavern user folder (data/<user>/ with characters/, '
         'chats/, worlds/, settings.json …), the older public/ folder, the SillyTavern folder holding one of them, '
         'or a zip of any of these.'),
        (b'{"not": "a zip"}', 422, 'error.migration.not_a_zip',
         'This file is not a zip. Zip your SillyTavern data folder (data/<user>/) and upload the zip.'),
    ]
    for data, status, code, message in cases:
        response = await start(client, headers, data)
        assert (response.status_code, response.json()) == (status, {'detail': message, 'code': code})
    assert list((services.settings.data_dir / 'migrations').iterdir()) == []
    response = await client.post(URL, headers=headers, data={'note': 'no file'})
    assert response.json()['code'] == 'error.migration.missing_file'


async def test_a_zip_over_the_size_limit_gets_413(client: httpx.AsyncClient, login: Login, services: Services,
                                                  tmp_path: Path) -> None:
    headers = await login()
    services.migration.limits = services.migration.jobs.limits = MigrationLimits(max_upload_bytes=1024 * 1024)
    response = await start(client, headers, zip_folder(build_user_folder(tmp_path / 'st')))
    assert response.status_code == 413
    assert response.json() == {'code': 'error.migration.upload_too_large', 'detail': (
        'The zip is larger than 1 MB. Zip a smaller part of your SillyTavern folder, or run `tavern '
        'import-sillytavern` on the server.')}
