"""UI tests: each test gets its own data dir and a migrated SQLite database, passed to main.py via the env."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from nicegui import app
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from tests.support.databases import fresh_sqlite_url

PASSWORD = 'correct horse battery'


@pytest.fixture(autouse=True)
def ui_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_template_dir: Path) -> None:
    monkeypatch.setenv('TAVERN_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('DATABASE_URL', fresh_sqlite_url(tmp_path, sqlite_template_dir))
    monkeypatch.setenv('REDIS_URL', '')
    monkeypatch.setenv('TAVERN_SECRET_KEY', 'ui-test-secret')


@pytest.fixture(autouse=True)
def restore_lifespan() -> Iterator[None]:
    """Each test builds the app again, and every router include wraps the lifespan once more; undo that, or the
    nesting exceeds Python's recursion limit after about fifty tests."""
    original = app.router.lifespan_context
    yield
    app.router.lifespan_context = original


@pytest.fixture
def login(user: User) -> Callable[..., Awaitable[Account]]:
    """Create an account through the service and log the simulated browser in through the login page."""
    async def login_as(handle: str = 'alice', password: str = PASSWORD, **kwargs: object) -> Account:
        account = await runtime.services().accounts.register(handle, password, by_admin=True, **kwargs)
        await user.open('/login')
        user.find(marker='handle').type(handle)
        user.find(marker='password').type(password)
        user.find(marker='login-submit').click()
        await user.should_see(marker='user-menu', retries=50)
        return account
    return login_as
