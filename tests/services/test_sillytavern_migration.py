"""Migrating a whole SillyTavern folder through the service, on SQLite and PostgreSQL: a user folder assembled from
the real compat files (cards with embedded lorebooks, a Chinese card, chats renamed to their characters, a group
chat, worlds, presets of every kind with a master export, personas with pictures, world-info settings, a broken
card and a broken chat), the older `public/` layout, zips of either, and zips that must be refused. Also the
`tavern import-sillytavern` command."""

from __future__ import annotations

import asyncio
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.cli import main
from app.db.models import Character, Chat, Lorebook, Message, Persona, Preset, User
from app.errors import ConflictError, InvalidInputError, TavernError
from app.services.characters import CharacterQuery
from app.services.container import Services
from app.services.sillytavern_migration import CHAT_SOURCE_KEY, MigrationJob, MigrationLimits, MigrationReport
from app.services.sillytavern_migration.jobs import running_key
from app.services.sillytavern_migration.unpack import unpack_zip
from tests.support.sillytavern_folder import (
    ALICE_DESCRIPTION,
    EXPECTED,
    EXPECTED_NOTES,
    GROUP_CHAT,
    IMPORTED_CHARACTERS,
    build_user_folder,
    zip_folder,
)

PASSWORD = 'correct horse battery'
TABLES = (Character, Chat, Message, Lorebook, Preset, Persona)
POLLS = 600


async def register(services: Services, handle: str = 'alice') -> User:
    return await services.accounts.register(handle, PASSWORD, by_admin=True)


def outcome(report: MigrationReport) -> list[tuple[str, str, str, str, str | None]]:
    return [(item.kind, item.source, item.name, item.status, item.reason.code if item.reason else None)
            for item in report.items]


async def row_counts(services: Services) -> dict[str, int]:
    async with services.db.session() as session:
        return {table.__name__: (await session.exec(select(func.count()).select_from(table))).one()
                for table in TABLES}


async def test_the_report_lists_every_item_and_everything_is_stored(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    progress: list[tuple[int, int, str]] = []
    report = await services.migration.migrate_folder(alice, build_user_folder(tmp_path / 'default-user'),
                                                     lambda done, total, source: progress.append((done, total, source)))

    assert outcome(report) == EXPECTED
    assert [note.code for note in report.notes] == EXPECTED_NOTES
    counts = {kind: (counts.imported, counts.skipped, counts.failed) for kind, counts in report.counts.items()}
    assert counts == {'character': (5, 0, 1), 'lorebook': (1, 2, 0), 'chat': (3, 0, 2), 'group_chat': (1, 0, 0),
                      'preset': (9, 0, 0), 'persona': (2, 0, 0), 'settings': (3, 2, 0)}
    reasons = {item.source: item.reason.message for item in report.failures if item.reason}
    assert 'Git LFS pointer' in reasons['characters/Professor Mari.png']
    assert reasons['chats/Dr. Light/Dr. Light - broken.jsonl'].startswith('Line 2 is not a JSON object.')
    assert 'characters/Ghost.png is missing' in reasons['chats/Ghost/Ghost - 2024-1-1@00h00m00s.jsonl']
    total = len(progress) - 1  # one call per step (the master export is one step, three items), then the end
    assert [call[:2] for call in progress] == [(done, total) for done in range(total + 1)]
    assert progress[0][2] == 'characters/Dr. Light.png' and progress[-1][2] == ''

    await _check_characters_and_chats(services, alice, report)
    await _check_lorebooks(services, alice, report)
    await _check_presets_and_personas(services, alice)


async def _check_characters_and_chats(services: Services, alice: User, report: MigrationReport) -> None:
    library = await services.characters.search(alice, CharacterQuery(sort='name'))
    assert [item.name for item in library.items] == IMPORTED_CHARACTERS
    ids = {item.name: item.id for item in library.items}
    chats = {name: sorted((chat.title, chat.message_count) for chat in
                          await services.chats.list_chats(alice, character_id=ids[name])) for name in ids}
    assert chats == {
        'Dr. Light': [('Dr. Light - 2024-6-13 @20h 30m 23s 695ms', 15), (f'Villain pub – {GROUP_CHAT}', 34)],
        'Luna Starweaver': [], 'Seraphina': [('Seraphina - 2024-6-14@08h18m03s', 10)], 'Test Character': [],
        '魔都诡事': [('魔都诡事 - 2025-05-12@20h42m42s', 26)]}
    group_item = next(item for item in report.items if item.kind == 'group_chat')
    group_chat = await services.chats.get(alice, group_item.target_id or '')
    assert group_chat.meta[CHAT_SOURCE_KEY]['group'] == {
        'id': '1721581571650', 'name': 'Villain pub', 'members': ['Ghost.png', 'Dr. Light.png', 'Seraphina.png']}
    assert group_chat.meta[CHAT_SOURCE_KEY]['file'] == f'group chats/{GROUP_CHAT}.jsonl'
    assert group_chat.meta['chat_metadata']['note_prompt'] == 'Keep the pub lively.'
    speakers = {message.name for message in (await services.chats.messages(alice, group_chat.id, limit=50)).items}
    assert {'Miraak', 'Vergil', 'The Host'} <= speakers


async def _check_lorebooks(services: Services, alice: User, report: MigrationReport) -> None:
    books = {book.name: book for book in await services.lorebooks.list(alice)}
    assert {name: book.entry_count for name, book in books.items()} == {
        'DMC Inc': 13, 'Eldoria': 4, "Luna's World": 1, '魔都诡事': 20}
    bindings = await services.lorebooks.bindings(alice)
    assert bindings.global_ids == [books['Eldoria'].id]
    characters = {item.name: item.target_id for item in report.items if item.kind == 'character'}
    assert bindings.characters[characters['Dr. Light']] == [books['DMC Inc'].id]
    assert bindings.characters[characters['Seraphina']] == [books['Eldoria'].id]
    group_chat = next(item.target_id for item in report.items if item.kind == 'group_chat')
    assert bindings.chats == {group_chat: books['DMC Inc'].id}
    alice_persona = next(item.target_id for item in report.items if item.name == 'Alice')
    assert bindings.personas == {alice_persona: books['DMC Inc'].id}
    settings = await services.lorebooks.world_info_settings(alice)
    assert (settings.scan_depth, settings.budget_percent, settings.recursive) == (3, 30, True)


async def _check_presets_and_personas(services: Services, alice: User) -> None:
    presets = sorted((preset.kind, preset.name) for preset in await services.presets.list(alice))
    assert presets == [('chat_completion', 'Default'), ('context', 'ChatML'), ('context', 'Gemma-Custom'),
                       ('instruct', 'ChatML'), ('instruct', 'Gemma-Custom'), ('kobold', 'Godlike'),
                       ('sysprompt', 'Actor'), ('sysprompt', 'Gemma-Custom'), ('textgen', 'Default')]
    personas = await services.personas.list(alice)
    assert [(persona.name, persona.is_default, persona.avatar_hash is not None) for persona in personas] == [
        ('Alice', True, True), ('Narrator', False, True)]
    assert personas[0].description == ALICE_DESCRIPTION


async def test_running_it_again_skips_everything_and_creates_nothing(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    folder = build_user_folder(tmp_path / 'default-user')
    await services.migration.migrate_folder(alice, folder)
    before = await row_counts(services)

    again = await services.migration.migrate_folder(alice, folder)

    assert await row_counts(services) == before
    assert outcome(again) == [(kind, source, name, 'failed' if status == 'failed' else 'skipped', code)
                              for kind, source, name, status, code in EXPECTED]
    assert {kind: counts.imported for kind, counts in again.counts.items()} == dict.fromkeys(again.counts, 0)


async def test_each_user_migrates_into_their_own_account(services: Services, tmp_path: Path) -> None:
    folder = build_user_folder(tmp_path / 'default-user')
    alice, bob = await register(services), await register(services, 'bob')
    await services.migration.migrate_folder(alice, folder)
    report = await services.migration.migrate_folder(bob, folder)
    assert outcome(report) == EXPECTED
    assert (await services.characters.search(bob, CharacterQuery())).total == len(IMPORTED_CHARACTERS)


async def test_a_changed_chat_is_imported_again_and_a_copied_one_is_skipped(services: Services,
                                                                            tmp_path: Path) -> None:
    """A changed chat file is a new chat; the same file again is skipped, whichever folder it was found in."""
    alice = await register(services)
    folder = build_user_folder(tmp_path / 'default-user')
    await services.migration.migrate_folder(alice, folder)
    chat_file = folder / 'chats' / 'Seraphina' / 'Seraphina - 2024-6-14@08h18m03s.jsonl'
    shutil.copyfile(chat_file, chat_file.with_name('Seraphina - copy.jsonl'))
    chat_file.write_bytes(chat_file.read_bytes() + b'\n{"name":"You","is_user":true,"mes":"One more line."}')

    report = await services.migration.migrate_folder(alice, folder)

    chats = {item.source: (item.status, item.name) for item in report.items if item.kind == 'chat'}
    assert chats['chats/Seraphina/Seraphina - 2024-6-14@08h18m03s.jsonl'] == (
        'imported', 'Seraphina - 2024-6-14@08h18m03s')
    assert chats['chats/Seraphina/Seraphina - copy.jsonl'] == ('skipped', 'Seraphina - copy')
    seraphina = next(item.target_id for item in report.items if item.name == 'Seraphina')
    counts = sorted(chat.message_count for chat in await services.chats.list_chats(alice, character_id=seraphina))
    assert counts == [10, 11]


async def test_the_older_public_layout(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    build_user_folder(tmp_path / 'SillyTavern' / 'public')
    (tmp_path / 'SillyTavern' / 'server.js').write_text('// SillyTavern before 1.10', encoding='utf-8')
    report = await services.migration.migrate_folder(alice, tmp_path / 'SillyTavern')
    assert outcome(report) == EXPECTED


async def test_a_sillytavern_folder_with_its_data_folder(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    build_user_folder(tmp_path / 'SillyTavern' / 'data' / 'default-user')
    (tmp_path / 'SillyTavern' / 'data' / '_storage').mkdir()
    report = await services.migration.migrate_folder(alice, tmp_path / 'SillyTavern')
    assert outcome(report) == EXPECTED


@pytest.mark.parametrize('top', ['', 'default-user', 'SillyTavern/public'])
async def test_a_zip_of_the_folder(services: Services, tmp_path: Path, top: str) -> None:
    alice = await register(services)
    zip_path = tmp_path / 'backup.zip'
    zip_path.write_bytes(zip_folder(build_user_folder(tmp_path / 'default-user'), top))
    report = await services.migration.migrate_path(alice, zip_path)
    assert outcome(report) == EXPECTED
    assert list((services.settings.data_dir / 'migrations').iterdir()) == []


async def test_several_users_must_be_chosen(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    build_user_folder(tmp_path / 'data' / 'default-user')
    (tmp_path / 'data' / 'bob' / 'characters').mkdir(parents=True)
    with pytest.raises(InvalidInputError) as refused:
        await services.migration.migrate_folder(alice, tmp_path)
    assert refused.value.code == 'error.migration.several_users'
    assert 'several users (bob, default-user)' in refused.value.message
    report = await services.migration.migrate_folder(alice, tmp_path / 'data' / 'default-user')
    assert outcome(report) == EXPECTED


async def test_a_folder_without_sillytavern_data_is_refused(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    folder = tmp_path / 'cards'
    folder.mkdir()
    (folder / 'Seraphina.json').write_text('{}', encoding='utf-8')
    with pytest.raises(InvalidInputError) as refused:
        await services.migration.migrate_path(alice, folder)
    assert refused.value.code == 'error.migration.not_sillytavern'
    assert 'Expected a SillyTavern user folder (data/<user>/' in refused.value.message
    with pytest.raises(InvalidInputError) as not_a_zip:
        await services.migration.migrate_path(alice, folder / 'Seraphina.json')
    assert not_a_zip.value.code == 'error.migration.not_a_zip'
    assert await row_counts(services) == dict.fromkeys((table.__name__ for table in TABLES), 0)


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    bomb = zip_of({'characters/Seraphina.png': b'\0' * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(TavernError) as refused:
        unpack_zip(bomb, tmp_path, MigrationLimits())
    assert refused.value.code == 'error.card.zip_bomb'
    assert 'refused as a possible zip bomb' in refused.value.message
    assert list(tmp_path.iterdir()) == []


def test_a_zip_that_inflates_past_the_total_limit_is_refused(tmp_path: Path) -> None:
    entries = {f'chats/A/{number}.jsonl': bytes(range(256)) * 4096 for number in range(3)}
    with pytest.raises(TavernError) as refused:
        unpack_zip(zip_of(entries), tmp_path, MigrationLimits(max_unpacked_bytes=2 * 1024 * 1024))
    assert refused.value.code == 'error.card.zip_too_large'


def test_a_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    entries = {f'worlds/{number}.json': b'{}' for number in range(11)}
    with pytest.raises(TavernError) as refused:
        unpack_zip(zip_of(entries), tmp_path, MigrationLimits(max_zip_entries=10))
    assert refused.value.code == 'error.card.zip_too_many_entries'


@pytest.mark.parametrize('path', ['../evil.json', 'characters/../../evil.json', '/etc/evil.json',
                                  'C:/evil.json', 'characters\\..\\..\\evil.json'])
def test_a_zip_with_a_path_leaving_the_folder_is_refused(tmp_path: Path, path: str) -> None:
    target = tmp_path / 'unpacked'
    target.mkdir()
    with pytest.raises(TavernError) as refused:
        unpack_zip(zip_of({'characters/Seraphina.json': b'{}', path: b'{}'}), target, MigrationLimits())
    assert refused.value.code == 'error.card.zip_unsafe_path'
    assert f'unsafe file path ("{path}")' in refused.value.message
    assert sorted(item.name for item in tmp_path.rglob('*')) == ['unpacked']


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TavernError) as refused:
        unpack_zip(b'\x89PNG\r\n\x1a\n', tmp_path, MigrationLimits())
    assert refused.value.code == 'error.migration.not_a_zip'


def test_the_command_imports_a_folder_and_prints_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv('DATABASE_URL', raising=False)
    monkeypatch.setenv('REDIS_URL', '')
    data_dir = str(tmp_path / 'data')
    folder = str(build_user_folder(tmp_path / 'default-user'))
    password_file = tmp_path / 'pw'
    password_file.write_text(PASSWORD)
    assert main(['create-admin', '--username', 'root', '--password-file', str(password_file),
                 '--data-dir', data_dir]) == 0
    capsys.readouterr()

    assert main(['import-sillytavern', folder, '--data-dir', data_dir]) == 0

    out = capsys.readouterr().out
    assert f'Importing {folder} into the account "root".' in out
    assert '[1/' in out and '] characters/Dr. Light.png' in out
    assert '  Characters: 5 imported, 0 skipped (already there), 1 failed' in out
    assert '  Presets: 9 imported, 0 skipped (already there), 0 failed' in out
    assert ('  characters/Professor Mari.png: This file is a Git LFS pointer, not the card itself.' in out)
    assert '  chats/Ghost/Ghost - 2024-1-1@00h00m00s.jsonl: The character of this chat is not in your library' in out
    assert 'Notes:\n  Backgrounds (1 files) are not migrated' in out

    assert main(['import-sillytavern', folder, '--user', 'ROOT', '--data-dir', data_dir]) == 0
    assert '  Characters: 0 imported, 5 skipped (already there), 1 failed' in capsys.readouterr().out


def test_the_command_refuses_what_is_not_sillytavern_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv('DATABASE_URL', raising=False)
    monkeypatch.setenv('REDIS_URL', '')
    data_dir = str(tmp_path / 'data')
    (tmp_path / 'photos').mkdir()
    assert main(['import-sillytavern', str(tmp_path / 'photos'), '--data-dir', data_dir]) == 2
    assert 'Name the account to import into with --user HANDLE (this server has 0 administrators)' in \
        capsys.readouterr().err
    password_file = tmp_path / 'pw'
    password_file.write_text(PASSWORD)
    assert main(['create-admin', '--username', 'root', '--password-file', str(password_file),
                 '--data-dir', data_dir]) == 0
    assert main(['import-sillytavern', str(tmp_path / 'photos'), '--data-dir', data_dir]) == 2
    assert 'tavern: No SillyTavern data was found here. Expected a SillyTavern user folder' in capsys.readouterr().err
    assert main(['import-sillytavern', str(tmp_path / 'missing'), '--data-dir', data_dir]) == 2
    assert f'There is no folder or zip at "{tmp_path / "missing"}"' in capsys.readouterr().err
    assert main(['import-sillytavern', str(tmp_path / 'photos'), '--user', 'nobody', '--data-dir', data_dir]) == 2
    assert 'There is no account "nobody".' in capsys.readouterr().err


async def finished_job(services: Services, owner: User, job_id: str) -> MigrationJob:
    """Wait (by yielding to the job's task on this event loop) until the job is no longer running."""
    for _ in range(POLLS):
        job = await services.migration.jobs.get(owner, job_id)
        if job.state != 'running':
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f'the migration did not finish: {job}')


async def test_one_migration_at_a_time_per_user(services: Services, tmp_path: Path) -> None:
    alice, bob = await register(services), await register(services, 'bob')
    data = zip_folder(build_user_folder(tmp_path / 'default-user'))
    jobs = services.migration.jobs
    first = await jobs.start(alice, data)
    with pytest.raises(ConflictError) as refused:
        await jobs.start(alice, data)
    assert refused.value.code == 'error.migration.already_running'
    bobs = await jobs.start(bob, data)

    assert (await finished_job(services, alice, first.id)).state == 'finished'
    assert (await finished_job(services, bob, bobs.id)).state == 'finished'
    again = await finished_job(services, alice, (await jobs.start(alice, data)).id)
    assert again.report is not None and again.report.counts['character'].skipped == 5
    assert list((services.settings.data_dir / 'migrations').iterdir()) == []


async def test_a_job_whose_server_stopped_is_reported_as_interrupted(services: Services, tmp_path: Path) -> None:
    alice = await register(services)
    jobs = services.migration.jobs
    job = await jobs.start(alice, zip_folder(build_user_folder(tmp_path / 'default-user')))
    await services.kv.delete(running_key(alice.id))  # what the mark's expiry does when the server is gone
    interrupted = await jobs.get(alice, job.id)
    assert (interrupted.state, interrupted.error and interrupted.error.code) == ('failed',
                                                                                 'error.migration.interrupted')
    await finished_job(services, alice, job.id)
