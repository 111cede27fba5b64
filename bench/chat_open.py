"""How long opening a chat takes as it grows: the newest window of 30 messages, and one "load older" page.

The chat page reads one window of messages by (chat_id, seq), never the whole chat, so a 10,000-message chat
should open as fast as a short one. This builds chats of several lengths in a fresh SQLite database (and in
PostgreSQL when `--postgres` names a server) and prints the median and 95th percentile of each read.

    .venv/bin/python bench/chat_open.py [--postgres postgresql://postgres@127.0.0.1:5432/test] [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import text

from app.config import load_settings
from app.db import migrate
from app.db.models import Message
from app.services.character_card import CharacterFields
from app.services.container import Services, build_services

LENGTHS = (10, 1_000, 10_000)
WINDOW = 30


async def measure(database_url: str, data_dir: Path, runs: int) -> list[tuple[int, str, float, float]]:
    """(messages, read, median ms, p95 ms) for each chat length and read."""
    services = build_services(load_settings(data_dir=data_dir, database_url=database_url, secret_key='bench'))
    owner = await services.accounts.register('bench', 'correct horse battery')
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    rows = []
    for length in LENGTHS:
        chat = await services.chats.start(owner, character.id)
        await _fill(services, chat.id, length)
        newest = await _timed(runs, lambda c=chat.id: services.chats.messages(owner, c, limit=WINDOW))
        older = await _timed(runs, lambda c=chat.id, n=length: services.chats.messages(
            owner, c, before_seq=n // 2, limit=WINDOW))
        rows += [(length, 'newest window', *newest), (length, 'load older (middle)', *older)]
    await services.close()
    return rows


async def _fill(services: Services, chat_id: str, length: int) -> None:
    """Insert the messages in one go, then refresh the planner's statistics as autovacuum would after real use
    (right after a bulk insert PostgreSQL still believes the chat has a handful of rows and sorts all of them)."""
    async with services.db.session() as session:
        session.add_all(Message(chat_id=chat_id, seq=seq, role='user' if seq % 2 else 'assistant',
                                content=f'message {seq} ' + 'lorem ipsum ' * 20, swipes=[])
                        for seq in range(1, length))
        await session.commit()
        await session.exec(text('ANALYZE message'))  # type: ignore[call-overload]


async def _timed(runs: int, read) -> tuple[float, float]:
    await read()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        page = await read()
        samples.append((time.perf_counter() - started) * 1000)
        assert len(page.items) == WINDOW or not page.has_older
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _postgres_database(admin_url: str) -> tuple[str, str]:
    name = f'tavern_bench_{uuid.uuid4().hex[:8]}'
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE {name}')
    return admin_url.rsplit('/', 1)[0] + f'/{name}', name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--postgres', help='admin URL of a PostgreSQL server to also measure')
    parser.add_argument('--runs', type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f'sqlite:///{directory}/bench.db'
        migrate.upgrade(url)
        results = {'SQLite': asyncio.run(measure(url, Path(directory), args.runs))}
        if args.postgres:
            url, name = _postgres_database(args.postgres)
            try:
                migrate.upgrade(url)
                results['PostgreSQL'] = asyncio.run(measure(url, Path(directory), args.runs))
            finally:
                with psycopg.connect(args.postgres, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE {name} WITH (FORCE)')
    print(f'{"database":<11} {"messages":>8}  {"read":<20} {"median ms":>9} {"p95 ms":>7}')
    for database, rows in results.items():
        for length, read, median, p95 in rows:
            print(f'{database:<11} {length:>8}  {read:<20} {median:>9.2f} {p95:>7.2f}')


if __name__ == '__main__':
    main()
