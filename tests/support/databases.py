"""Test databases: a migrated SQLite file per test, and one migrated PostgreSQL database per run, emptied per test."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from app.db import migrate, models  # noqa: F401  (models registers the tables)
from app.db.database import sync_url

_sqlite_template: Path | None = None


def fresh_sqlite_url(directory: Path, template_dir: Path) -> str:
    """Copy a database migrated once per run (running Alembic per test would cost more than the test)."""
    global _sqlite_template
    if _sqlite_template is None:
        _sqlite_template = template_dir / 'template.db'
        migrate.upgrade(f'sqlite:///{_sqlite_template}')
    target = directory / 'tavern.db'
    shutil.copy(_sqlite_template, target)
    return f'sqlite:///{target}'


def create_postgres_database(admin_url: str, *, migrated: bool = True) -> str:
    """Create a uniquely named database (migrated to head unless told otherwise); returns its URL."""
    name = f'tavern_test_{uuid.uuid4().hex[:12]}'
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE {name}')
    url = admin_url.rsplit('/', 1)[0] + f'/{name}'
    if migrated:
        migrate.upgrade(url)
    return url


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = url.rsplit('/', 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def empty_postgres_database(url: str) -> None:
    engine = create_engine(sync_url(url))
    # Plugin tables join the metadata when a test imports the plugin, but exist only where that plugin was loaded.
    existing = set(inspect(engine).get_table_names())
    tables = ', '.join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables if table.name in existing)
    with engine.begin() as connection:
        connection.execute(text(f'TRUNCATE {tables} CASCADE'))
    engine.dispose()
