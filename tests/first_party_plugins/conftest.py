"""First-party plugin tests: every plugin source folder in the project's `plugins/` (a folder with a
`pyproject.toml`) goes on `sys.path`, so `import <id>.plugin` works as it does once the plugin is installed.

The NiceGUI `user` tests here run on the same app as `tests/ui/`, so they share its fixtures (a fresh data dir and
database per test, `login`)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from app import runtime
from tests.support.fake_openai import Script
from tests.ui.conftest import login, restore_lifespan, ui_settings_env  # noqa: F401  (fixtures used here too)

PLUGINS_DIR = Path(__file__).parents[2] / 'plugins'

for source in sorted(PLUGINS_DIR.iterdir()):
    if (source / 'pyproject.toml').is_file() and str(source) not in sys.path:
        sys.path.insert(0, str(source))


@pytest.fixture
def load_plugins() -> Callable[..., Awaitable[None]]:
    """Load first-party plugins (by entry module, e.g. 'dice_roller.plugin') into the running UI test app, the way
    the server loads installed ones: their slots, commands, routes and pages work at once."""
    async def load(*modules: str) -> None:
        loaded = await runtime.services().plugins.load_modules(list(modules))
        failed = {plugin.id: plugin.load_error for plugin in loaded if plugin.load_error}
        assert not failed, failed
    return load


@pytest.fixture(autouse=True)
def clean_fake_openai(request: pytest.FixtureRequest) -> None:
    """The fake OpenAI server is one for the whole run: a test here that uses it starts with its default script and
    no requests recorded by earlier tests (module fixtures may then script it further)."""
    if 'fake_openai' in request.fixturenames:
        fake = request.getfixturevalue('fake_openai')
        fake.script = Script()
        fake.requests.clear()
