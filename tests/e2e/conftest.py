"""Real-browser tests: the real app runs as a subprocess (`python -m app.cli serve`) and Chromium drives it.

One Chromium serves all browser tests; every test gets a fresh browser context and a fresh server with its own data
dir, so tests never share accounts. A failing test shows the server's log and leaves a screenshot in test-results/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.services_required import require_chromium, require_postgres

CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
                 '--no-first-run', '--disable-component-update', '--disable-sync']
DEFAULT_VIEWPORT = {'width': 1280, 'height': 800}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
UI_TIMEOUT_MS = 10_000
RESULTS_DIR = Path('test-results')
SERVER_LOG = pytest.StashKey[Path]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

expect.set_options(timeout=UI_TIMEOUT_MS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', 'viewport(width, height): browser viewport for the `page` fixture')


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report for the fixtures, and attach the server log to failures."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    log = item.stash.get(SERVER_LOG, None)
    if report.failed and log is not None and log.exists():
        report.sections.append(('live server log', log.read_text(encoding='utf-8', errors='replace')))
    return report


@pytest.fixture(scope='package')
def browser() -> Iterator[Browser]:
    """One Chromium for all browser tests, closed when they are done.

    Package scope, not session scope: while Playwright's sync API is open it leaves its event loop marked as running
    on this thread, which would break every asyncio test that runs after the browser tests.
    """
    executable = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a new browser context; `@pytest.mark.viewport(375, 812)` sets its size."""
    marker = request.node.get_closest_marker('viewport')
    viewport = {'width': marker.args[0], 'height': marker.args[1]} if marker else DEFAULT_VIEWPORT
    context = browser.new_context(viewport=viewport, locale='en-US')
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    if _failed(request.node):
        RESULTS_DIR.mkdir(exist_ok=True)
        tab.screenshot(path=RESULTS_DIR / f'{request.node.name}.png', full_page=True)
    context.close()


@pytest.fixture
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The app on SQLite in a fresh data dir; yields its base URL."""
    yield from _run_server(request, tmp_path, {'DATABASE_URL': '', 'REDIS_URL': ''})


@pytest.fixture
def live_server_pg_redis(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Iterator[str]:
    """The app on a fresh, migrated PostgreSQL database and Redis; yields its base URL."""
    admin_url = require_postgres()
    database_url = create_postgres_database(admin_url)
    try:
        yield from _run_server(request, tmp_path, {'DATABASE_URL': database_url, 'REDIS_URL': redis_url})
    finally:
        drop_postgres_database(admin_url, database_url)


def _run_server(request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    base_url = f'http://127.0.0.1:{port}'
    log_path = tmp_path / 'server.log'
    request.node.stash[SERVER_LOG] = log_path
    server_env = {key: value for key, value in os.environ.items()  # NiceGUI behaves differently under pytest
                  if not key.startswith(('PYTEST_', 'NICEGUI_', 'TAVERN_'))}
    server_env.update(env, PYTHONUNBUFFERED='1')
    command = [sys.executable, '-m', 'app.cli', 'serve', '--port', str(port), '--data-dir', str(tmp_path / 'data')]
    with log_path.open('wb') as log:  # the working directory is tmp_path, so no developer `.env` is read
        process = subprocess.Popen(command, cwd=tmp_path, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(process, base_url, log_path)
        yield base_url
    finally:
        _stop(process)


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f'{base_url}/healthz', timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    log = log_path.read_text(encoding='utf-8', errors='replace')
    pytest.fail(f'the app did not become healthy at {base_url} (exit code {process.poll()}):\n{log}', pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(REPORTS, {}).values())
