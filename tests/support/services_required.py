"""Local services the tests use (PostgreSQL, Redis, Chromium): skipped when missing locally, a failure in CI."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_ADMIN_URL = os.environ.get('TAVERN_TEST_POSTGRES_URL', 'postgresql://postgres@127.0.0.1:5432/test')
REDIS_TEST_URL = os.environ.get('TAVERN_TEST_REDIS_URL', 'redis://127.0.0.1:6379/15')
CHROMIUM_PATH = os.environ.get('TAVERN_TEST_CHROMIUM', '/usr/bin/chromium')


def missing(reason: str) -> None:
    """Skip on a developer machine, fail in CI (CI=true), so CI can never pass by skipping."""
    if os.environ.get('CI'):
        pytest.fail(f'CI requires this service: {reason}', pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def require_postgres() -> str:
    if not port_open('127.0.0.1', 5432):
        missing('PostgreSQL is not listening on 127.0.0.1:5432')
    return POSTGRES_ADMIN_URL


def require_redis() -> str:
    if not port_open('127.0.0.1', 6379):
        missing('Redis is not listening on 127.0.0.1:6379')
    return REDIS_TEST_URL


def require_chromium() -> str:
    if not shutil.which(CHROMIUM_PATH):
        missing(f'Chromium is not installed at {CHROMIUM_PATH} (apt-get install chromium)')
    return CHROMIUM_PATH
