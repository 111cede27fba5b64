import stat
from pathlib import Path

import pytest

from app.config import Settings, SettingsError, load_settings


def test_invalid_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('TAVERN_DEFAULT_LOCALE', 'fr')
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("Invalid setting TAVERN_DEFAULT_LOCALE='fr'")
    assert '\n' not in str(error.value)


@pytest.mark.parametrize(('name', 'value'), [('DATABASE_URL', 'mysql://x'), ('REDIS_URL', 'http://x'),
                                             ('TAVERN_PORT', '99999'), ('TAVERN_ALLOW_REGISTRATION', 'maybe')])
def test_other_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f'Invalid setting {name}='):
        load_settings()


def test_secret_key_is_generated_once_with_mode_600(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, _env_file=None)
    first.ensure_data_dir()
    secret_file = tmp_path / 'secret_key'
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    second = Settings(data_dir=tmp_path, _env_file=None)
    second.ensure_data_dir()
    assert first.secret_key == second.secret_key and len(first.secret_key) > 40


def test_given_secret_key_is_not_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key='given', _env_file=None)
    settings.ensure_data_dir()
    assert settings.secret_key == 'given' and not (tmp_path / 'secret_key').exists()


def test_sqlite_in_data_dir_is_the_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    assert settings.is_sqlite and settings.effective_database_url == f'sqlite:///{tmp_path / "tavern.db"}'
