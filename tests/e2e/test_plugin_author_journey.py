"""The plugin author's whole journey, as issue 5 asks for it: `tavern plugin new greeter` writes a plugin whose own
test passes, `tavern plugin build-index` packages it into an index, and on a live server pointed at that index the
administrator installs it from the marketplace page (after the consent dialog) and uses every part of it without a
restart: the chat toolbar button, the REST route, the settings form on /plugins and the prompt hook, which reaches
the (fake) model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_openai import FakeOpenAI, Script

from .actions import register
from .conftest import _run_server

pytestmark = pytest.mark.e2e
COMMAND_TIMEOUT = 120


def _environment() -> dict[str, str]:
    """The developer's environment without pytest's or the app's own variables (as in a fresh shell)."""
    return {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'TAVERN_', 'NICEGUI_'))}


def _tavern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, '-m', 'app.cli', *args], cwd=cwd, env=_environment(), text=True,
                            capture_output=True, timeout=COMMAND_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextmanager
def _server(request: pytest.FixtureRequest, tmp_path: Path, index: Path) -> Iterator[str]:
    yield from _run_server(request, tmp_path, {'DATABASE_URL': '', 'REDIS_URL': '',
                                               'TAVERN_PLUGIN_INDEX_URLS': str(index)})


def _author_the_plugin(work: Path) -> Path:
    """Scaffold greeter, run its generated test the way its author would, and build it into an index."""
    work.mkdir()
    _tavern('plugin', 'new', 'greeter', '--dir', str(work), cwd=work)
    plugin = work / 'greeter'
    tests = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider'], cwd=plugin,
                           env=_environment(), text=True, capture_output=True, timeout=COMMAND_TIMEOUT)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert '3 passed' in tests.stdout
    built = _tavern('plugin', 'build-index', str(plugin), '--out', str(work / 'index'), cwd=work)
    assert 'Built tavern_plugin_greeter-0.1.0-py3-none-any.whl' in built.stdout
    return work / 'index' / 'index.json'


def _install_from_the_marketplace(page: Page, base: str) -> None:
    page.goto(f'{base}/marketplace')
    page.get_by_label('Search plugins').fill('greet')
    page.get_by_role('link', name='Greeter').click()
    expect(page.get_by_text('Read chat messages')).to_be_visible()
    page.get_by_role('button', name='Install 0.1.0').click()
    dialog = page.get_by_role('dialog')
    expect(dialog.get_by_text('Install Greeter 0.1.0?')).to_be_visible()
    expect(dialog.get_by_text('Read chat messages')).to_be_visible()
    dialog.get_by_role('button', name='Install', exact=True).click()
    expect(page.get_by_text('Installed: 0.1.0 (enabled)')).to_be_visible()


def _open_a_chat(page: Page, base: str, fake_openai: FakeOpenAI) -> str:
    page.goto(f'{base}/connections')
    page.get_by_role('button', name='Add connection').click()
    page.get_by_label('Name').fill('Fake')
    page.get_by_label('Base URL').fill(fake_openai.base_url)
    page.get_by_label('Model').fill('fake-model')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_role('button', name='Test')).to_be_visible()
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Welcome in.'})
    chat_url = f'{base}/characters/{character.json()["id"]}/chat'
    page.goto(chat_url)
    expect(page.get_by_text('Welcome in.')).to_be_visible()
    return chat_url


def _change_the_greeting_on_the_plugins_page(page: Page, base: str, greeting: str) -> None:
    page.goto(f'{base}/plugins')
    page.get_by_text('Settings for everyone').click()
    page.get_by_label('Greeting').fill(greeting)
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Settings saved.')).to_be_visible()


def test_a_plugin_goes_from_scaffold_to_index_to_install_to_use(page: Page, request: pytest.FixtureRequest,
                                                                 tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    index = _author_the_plugin(tmp_path / 'work')
    with _server(request, tmp_path, index) as base:
        register(page, base, 'admin')
        _install_from_the_marketplace(page, base)

        chat_url = _open_a_chat(page, base, fake_openai)
        page.get_by_role('button', name='Say hello').click()
        expect(page.get_by_text('Hello!', exact=True)).to_be_visible()
        assert page.request.get(f'{base}/api/plugins/greeter/hello').json() == {'greeting': 'Hello'}

        _change_the_greeting_on_the_plugins_page(page, base, 'Ahoy')
        assert page.request.get(f'{base}/api/plugins/greeter/hello').json() == {'greeting': 'Ahoy'}

        fake_openai.script = Script(tokens=['Ahoy', ' to you', '!'])
        seen = len(fake_openai.requests)
        page.goto(chat_url)
        page.get_by_role('button', name='Say hello').click()
        expect(page.get_by_text('Ahoy!', exact=True)).to_be_visible()
        page.get_by_placeholder('Write a message').fill('Good evening')
        page.keyboard.press('Enter')
        expect(page.get_by_text('Ahoy to you!')).to_be_visible()
        (sent,) = fake_openai.requests[seen:]
        notes = [message['content'] for message in sent['messages'] if 'with the words' in message['content']]
        assert notes == ['Greet admin with the words "Ahoy".'], sent['messages']
        assert sent['messages'][-1]['content'] == 'Good evening'
