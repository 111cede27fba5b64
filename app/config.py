"""Instance settings read from the environment (and `.env`), validated once at start-up.

Plain `DATABASE_URL` / `REDIS_URL` are honoured as operators expect; everything else uses the `TAVERN_` prefix.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Locale = Literal['en', 'zh-CN']
SUPPORTED_LOCALES: tuple[str, ...] = ('en', 'zh-CN')
SECRET_FILE_NAME = 'secret_key'


def default_data_dir() -> Path:
    """Where data lives when `TAVERN_DATA_DIR` is not set: the XDG data home."""
    base = os.environ.get('XDG_DATA_HOME') or Path.home() / '.local' / 'share'
    return Path(base) / 'tavernai-plus'


class Settings(BaseSettings):
    """Everything an operator can configure; see the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix='TAVERN_', env_file='.env', extra='ignore', populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = Field(default='', validation_alias=AliasChoices('DATABASE_URL', 'TAVERN_DATABASE_URL'))
    redis_url: str = Field(default='', validation_alias=AliasChoices('REDIS_URL', 'TAVERN_REDIS_URL'))
    secret_key: str = ''
    allow_registration: bool = True
    default_locale: Locale = 'en'
    host: str = '127.0.0.1'
    port: int = Field(default=8080, ge=1, le=65535)
    max_avatar_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_avatar_pixels: int = Field(default=4096 * 4096, ge=64 * 64)
    login_attempts_per_account: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    session_days: int = Field(default=30, ge=1)
    replies_per_user: int = Field(default=2, ge=1)
    replies_per_instance: int = Field(default=64, ge=1)
    local_plugins: bool = False
    plugins_disabled: bool = False
    plugin_hook_timeout_seconds: float = Field(default=5.0, gt=0)
    plugin_index_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator('plugin_index_urls', mode='before')
    @classmethod
    def _split_index_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [url.strip() for url in value.split(',') if url.strip()]
        return value

    @field_validator('database_url')
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(('sqlite', 'postgresql', 'postgres://')):
            raise ValueError('must start with sqlite:// or postgresql://')
        return value

    @field_validator('redis_url')
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if value and not value.startswith(('redis://', 'rediss://', 'unix://')):
            raise ValueError('must start with redis://, rediss:// or unix://')
        return value

    @property
    def effective_database_url(self) -> str:
        """The configured database, or SQLite inside the data dir."""
        return self.database_url or f'sqlite:///{self.data_dir / "tavern.db"}'

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith('sqlite')

    @property
    def media_dir(self) -> Path:
        return self.data_dir / 'media'

    @property
    def plugins_dir(self) -> Path:
        """Plugin files: `site/` (installed wheels), `local/` (folder plugins), the local index."""
        return self.data_dir / 'plugins'

    def ensure_data_dir(self) -> None:
        """Create the data dir and fill in a persistent secret key when none was given."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.media_dir.mkdir(parents=True, exist_ok=True)
        if not self.secret_key:
            self.secret_key = _load_or_create_secret(self.data_dir / SECRET_FILE_NAME)


class SettingsError(Exception):
    """Settings that cannot start the app; the message is one line naming the setting."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first['loc'][0]) if first['loc'] else 'settings'
        env_name = name.upper() if name.upper() in ('DATABASE_URL', 'REDIS_URL') else f'TAVERN_{name.upper()}'
        raise SettingsError(f'Invalid setting {env_name}={first.get("input")!r}: {first["msg"]}') from None


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding='utf-8').strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as file:
        file.write(key)
    return key
