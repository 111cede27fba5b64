import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.db import migrate
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.services_required import require_postgres


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    admin_url = require_postgres()
    url = create_postgres_database(admin_url, migrated=False)
    yield url
    drop_postgres_database(admin_url, url)


def test_every_subcommand_has_help() -> None:
    for command in ([], ['serve'], ['migrate'], ['create-admin']):
        result = subprocess.run([sys.executable, '-m', 'app.cli', *command, '--help'], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0 and 'usage: tavern' in result.stdout


def test_serve_refuses_out_of_date_postgres_until_migrated(empty_postgres_url: str, monkeypatch, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv('DATABASE_URL', empty_postgres_url)
    assert main(['serve', '--data-dir', str(tmp_path), '--port', '1']) == 2
    assert 'Run `tavern migrate` first.' in capsys.readouterr().err
    assert main(['migrate', '--data-dir', str(tmp_path)]) == 0
    assert migrate.current_revision(empty_postgres_url) == migrate.head_revision(empty_postgres_url)
    migrate.check_up_to_date(empty_postgres_url)


def test_create_admin_from_password_file(tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv('DATABASE_URL', raising=False)
    password_file = tmp_path / 'pw'
    password_file.write_text('a long enough password\n')
    args = ['create-admin', '--username', 'root-admin', '--password-file', str(password_file),
            '--data-dir', str(tmp_path / 'data')]
    assert main(args) == 0
    assert 'Created administrator "root-admin"' in capsys.readouterr().out
    assert main(args) == 2
    assert 'already taken' in capsys.readouterr().err


def test_create_admin_rejects_a_short_password(tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv('DATABASE_URL', raising=False)
    password_file = tmp_path / 'pw'
    password_file.write_text('short')
    assert main(['create-admin', '--username', 'x-admin', '--password-file', str(password_file),
                 '--data-dir', str(tmp_path / 'data')]) == 2
    assert 'at least 8 characters' in capsys.readouterr().err
