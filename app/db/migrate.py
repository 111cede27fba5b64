"""Alembic driven from code, so `tavern migrate` and `tavern serve` need no alembic.ini on disk."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from .database import sync_url

MIGRATIONS_DIR = Path(__file__).parent / 'migrations'


class SchemaOutOfDateError(Exception):
    """The database schema is behind the code; the message tells the operator what to run."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS_DIR))
    config.set_main_option('sqlalchemy.url', sync_url(database_url).replace('%', '%%'))
    return config


def upgrade(database_url: str) -> None:
    """Apply every migration up to head."""
    command.upgrade(alembic_config(database_url), 'head')


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(database_url: str) -> str | None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def check_up_to_date(database_url: str) -> None:
    """Refuse to run on an out-of-date schema (used for PostgreSQL, where migrations are a separate step)."""
    current, head = current_revision(database_url), head_revision(database_url)
    if current != head:
        raise SchemaOutOfDateError(
            f'The database schema is at revision {current or "(empty)"} but this version needs {head}. '
            'Run `tavern migrate` first.')
