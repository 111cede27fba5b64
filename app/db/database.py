"""The async engine and session factory for SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def async_url(url: str) -> str:
    """Map a user-facing database URL to the async driver we use for it."""
    if url.startswith('postgres://'):
        url = 'postgresql://' + url.removeprefix('postgres://')
    if url.startswith('postgresql://'):
        return 'postgresql+psycopg://' + url.removeprefix('postgresql://')
    if url.startswith('sqlite://'):
        return 'sqlite+aiosqlite://' + url.removeprefix('sqlite://')
    return url


def sync_url(url: str) -> str:
    """Map a user-facing database URL to the synchronous driver Alembic uses."""
    if url.startswith('postgres://'):
        url = 'postgresql://' + url.removeprefix('postgres://')
    if url.startswith('postgresql://'):
        return 'postgresql+psycopg://' + url.removeprefix('postgresql://')
    return url


def configure_sqlite(dbapi_connection: object, _record: object) -> None:
    """WAL lets readers run while one writer commits; foreign keys make ON DELETE CASCADE work."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA busy_timeout=5000')
    cursor.close()


class Database:
    """Owns the engine; services open short sessions with `async with db.session() as session`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = 'sqlite' if url.startswith('sqlite') else 'postgresql'
        options: dict = {'pool_pre_ping': True} if self.dialect == 'postgresql' else {}
        if self.dialect == 'postgresql':
            options.update(pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        if self.dialect == 'sqlite':
            event.listen(self.engine.sync_engine, 'connect', configure_sqlite)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text('SELECT 1'))

    async def dispose(self) -> None:
        await self.engine.dispose()
