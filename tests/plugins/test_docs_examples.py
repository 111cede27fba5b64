"""docs/plugins.md stays true: its example plugins run on the real harness, in the real chat page and through the
real `tavern` command, and its references name every hook, slot, permission, manifest and index field, setting,
command, endpoint and error there is.

A fenced block right after a comment `<!-- example: NAME path: FILE -->` is the file FILE of the example plugin NAME.
The tutorial's files are written over what `tavern plugin new "Scene Weather"` generates, so the guide's first step is
exercised too; its own test file (one of the blocks) runs as part of this test.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import inspect
import json
import re
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from nicegui.testing import User

from app import runtime
from app.api import marketplace as marketplace_api
from app.api import plugins as plugins_api
from app.cli import main
from app.config import Settings as AppSettings
from app.db.models import User as Account
from app.plugins import hookspecs
from app.plugins.index import IndexPlugin, IndexVersion, PluginIndex, RevokedEntry
from app.plugins.local_index import build_index
from app.plugins.manifest import Contributions, Permission, PluginManifest
from app.plugins.scaffold import create_plugin
from app.services.character_card import CharacterFields
from plugins.sdk import CommandCall, MessageInfo, PromptMessage, SlotTarget
from plugins.sdk.testing import plugin_harness
from tests.support.plugin_builds import isolated_imports
from tests.ui.conftest import login, restore_lifespan, ui_settings_env  # noqa: F401  (fixtures used here too)

ROOT = Path(__file__).parents[2]
GUIDE = (ROOT / 'docs' / 'plugins.md').read_text(encoding='utf-8')
README = (ROOT / 'README.md').read_text(encoding='utf-8')
EXAMPLE = re.compile(r'<!-- example: (?P<name>[\w-]+) path: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)\n```', re.DOTALL)
TOKEN = 'docs-token'
TOKEN_HEADER = {'X-Weather-Token': TOKEN}
I18N_DIR = ROOT / 'data' / 'i18n' / 'en'


def example_files(name: str) -> dict[str, str]:
    """The files of the guide's example plugin `name`, by path."""
    files = {match['path']: match['body'] + '\n' for match in EXAMPLE.finditer(GUIDE) if match['name'] == name}
    assert files, f'docs/plugins.md has no example "{name}"'
    return files


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')


def doc_tests(files: dict[str, str]) -> list[str]:
    return [name for path, text in files.items() if path.startswith('tests/')
            for name in re.findall(r'^async def (test_\w+)', text, re.MULTILINE)]


TUTORIAL = example_files('tutorial')
STORY_TOOLS = example_files('story-tools')


@pytest.fixture(scope='module')
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tutorial plugin's source folder: the scaffold, with the guide's files written over it, on `sys.path`."""
    with isolated_imports():
        root = create_plugin('Scene Weather', tmp_path_factory.mktemp('tutorial'))
        write_files(root, TUTORIAL)
        sys.path.insert(0, str(root))
        yield root


@pytest.fixture(scope='module')
def story_tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with isolated_imports():
        root = tmp_path_factory.mktemp('story-tools')
        write_files(root, {'story_tools/__init__.py': '', **STORY_TOOLS})
        sys.path.insert(0, str(root))
        yield root


def test_the_guide_describes_every_file_the_scaffold_writes(tutorial: Path) -> None:
    written = sorted(path.relative_to(tutorial).as_posix() for path in tutorial.rglob('*')
                     if path.is_file() and '__pycache__' not in path.parts)
    assert [path for path in written if f'`{path}`' not in GUIDE] == []
    assert set(TUTORIAL) <= set(written)


def test_the_tutorials_excerpts_are_taken_from_its_whole_plugin() -> None:
    tutorial = GUIDE[GUIDE.index('## 1. Tutorial'):GUIDE.index('## 2. Hook reference')]
    excerpts = [block for block in re.findall(r'(?<!-->\n)```python\n(.*?)\n```', tutorial, re.DOTALL)
                if '@hookimpl' in block or 'BaseModel' in block]
    whole = {line.strip() for line in TUTORIAL['scene_weather/plugin.py'].splitlines()}
    assert len(excerpts) == 5
    assert [line for block in excerpts for line in block.splitlines()
            if line.strip() not in whole and line.strip() != '...'] == []


@pytest.mark.parametrize('name', doc_tests(TUTORIAL))
async def test_the_tutorials_own_tests_pass(tutorial: Path, name: str) -> None:
    spec = importlib.util.spec_from_file_location('docs_tutorial_tests', tutorial / 'tests' / 'test_scene_weather.py')
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await getattr(module, name)()


async def test_the_tutorial_plugin_loads_and_its_route_answers_only_to_the_token(tutorial: Path) -> None:
    async with plugin_harness(tutorial, settings={'script_token': TOKEN}) as h:
        chat = await h.chat()
        url = f'/api/plugins/scene_weather/chats/{chat.id}'
        without_token = await h.client.put(url, json={'weather': 'storm'})
        changed = await h.client.put(url, json={'weather': 'storm'}, headers=TOKEN_HEADER)
        read = await h.client.get(url, headers=TOKEN_HEADER)
        settings = await h.client.get('/api/v1/plugins/scene_weather/settings')
        errors = await h.errors()
    assert without_token.status_code == 403
    assert changed.status_code == 200
    assert read.json() == {'chat_id': chat.id, 'weather': 'storm'}
    assert settings.json()['values']['script_token'] == '********'
    assert errors == []


async def test_the_tutorial_prompt_hook_changes_the_real_prompt(tutorial: Path) -> None:
    async with plugin_harness(tutorial, settings={'instruction': 'Outside: {weather}.'}) as h:
        chat = await h.chat()
        plain = [PromptMessage('system', 'You are Mira.'), PromptMessage('user', 'Hi')]
        piped = await h.pipe('prompt_messages', plain, chat=chat)
        await h.client.put('/api/v1/plugins/scene_weather/user-settings',
                           json={'default_weather': 'fog', 'tell_character': True})
        preview = (await h.client.get(f'/api/v1/chats/{chat.id}/prompt-preview')).json()
    assert piped == [plain[0], PromptMessage('system', 'Outside: clear.'), plain[1]]
    added = [message for message in preview['messages'] if message['source'] == 'plugins']
    assert [(message['role'], message['content']) for message in added] == [('system', 'Outside: fog.')]


async def test_the_tutorial_toolbar_button_picks_the_weather_in_the_chat_page(
        user: User, tutorial: Path, request: pytest.FixtureRequest) -> None:
    log_in: Callable[..., Awaitable[Account]] = request.getfixturevalue('login')
    account = await log_in('alice')
    services = runtime.services()
    (plugin,) = await services.plugins.load_modules(['scene_weather.plugin'])
    assert plugin.load_error is None, plugin.load_error
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(account, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='weather-button')
    user.find(marker='weather-fog').click()
    await user.should_see('Weather: Fog')
    _, prepared = await services.generation.preview(account, chat.id)
    assert 'The weather in this scene: fog. Let it colour the narration.' in \
        [message.content for message in prepared.built.messages]


def test_the_tutorial_packages_into_an_index(tutorial: Path, tmp_path: Path) -> None:
    build = build_index(tutorial, tmp_path / 'weather-index')
    assert build.failures == {}
    index = json.loads(build.index_path.read_text(encoding='utf-8'))
    (listed,) = index['plugins']
    (version,) = listed['versions']
    manifest = json.loads(TUTORIAL['scene_weather/plugin.json'])
    assert (listed['id'], version['version'], version['permissions']) == \
        ('scene_weather', manifest['version'], manifest['permissions'])
    assert (tmp_path / 'weather-index' / version['wheel_url']).is_file()


async def test_the_story_tools_example_answers_each_hook(story_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with plugin_harness(story_tools) as h:
        chat = await h.chat('Mira', 'Hello.')
        (commands,) = await h.call('slash_commands')
        scene = await commands[0].run(CommandCall(args='A rainy harbour', chat=chat, user=h.user))
        note = await commands[1].run(CommandCall(args='', chat=chat, user=h.user))
        submitted = await h.pipe('message_submitted', 'Well...', chat=chat)
        finished = await h.pipe('reply_finished', '  Fine.\n', chat=chat)
        shown = await h.pipe('render_message', 'Sure ((brb))', message=MessageInfo(1, chat.id, 'user', '', 1))
        await h.call('event', name='message.created', payload={'user_id': h.user.id, 'chat_id': chat.id})
        sent = await h.ctx.kv.get(f'sent:{h.user.id}')
        (links,) = await h.call('menu_links')
        exported = await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'story_txt'})
        ((cli,),) = await h.call('cli_commands')
        pages = h.plugin.pages
        errors = await h.errors()
    assert [command.name for command in commands] == ['scene', 'note']
    assert (scene.send, note.system_note, note.notify) == ('*A rainy harbour*', None,
                                                           'Write the note: /note Remember the locket')
    assert (submitted, finished, shown) == ('Well…', 'Fine.', 'Sure *(brb)*')
    assert sent == '1'
    assert [link.href for link in links] == ['/p/story_tools/']
    assert exported.status_code == 200 and 'Mira: Hello.' in exported.text
    assert list(pages) == ['/']
    assert cli.run(argparse.Namespace(quiet=True)) == 0 and capsys.readouterr().out == '1.0.0\n'
    assert errors == []


def test_the_story_tools_command_runs_through_tavern(story_tools: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(story_tools / 'story_tools', tmp_path / 'data' / 'plugins' / 'local' / 'story_tools')
    monkeypatch.setenv('TAVERN_LOCAL_PLUGINS', 'true')
    assert main(['story-tools']) == 0
    assert capsys.readouterr().out.endswith('Story tools 1.0.0\n')


def test_the_hook_reference_shows_every_hook_with_its_arguments() -> None:
    specs = {name: function for name, function in vars(hookspecs).items()
             if callable(function) and hasattr(function, f'{hookspecs.PROJECT_NAME}_spec')}
    signatures = [f'`{name}({", ".join(inspect.signature(function).parameters)})`' for name, function in specs.items()]
    assert 'startup' in specs and 'prompt_messages' in specs
    assert [signature for signature in signatures if signature not in GUIDE] == []
    assert [name for name in hookspecs.EVENTS if f'| `{name}` |' not in GUIDE] == []


def test_the_slot_reference_lists_every_slot_and_target_field() -> None:
    slots = [*hookspecs.SLOTS, f'{hookspecs.SETTINGS_SLOT_PREFIX}<plugin id>']
    assert [slot for slot in slots if f'| `{slot}` |' not in GUIDE] == []
    assert [field.name for field in dataclasses.fields(SlotTarget) if f'| `{field.name}` |' not in GUIDE] == []


def test_the_manifest_and_index_references_list_every_field_and_permission() -> None:
    missing = [name for name in PluginManifest.model_fields if f'| `{name}` |' not in GUIDE]
    missing += [name for name in Contributions.model_fields if f'`{name}`' not in GUIDE]
    missing += [permission.value for permission in Permission if f'| `{permission.value}` |' not in GUIDE]
    for model in (PluginIndex, IndexPlugin, IndexVersion, RevokedEntry):
        missing += [name for name in model.model_fields if name != 'index_url' and f'`{name}`' not in GUIDE]
    assert missing == []


def test_the_plugin_settings_commands_and_endpoints_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    settings = [f'TAVERN_{name.upper()}' for name in AppSettings.model_fields if 'plugin' in name]
    assert len(settings) == 4
    assert [name for name in settings for text in (GUIDE, README) if f'| `{name}` |' not in text] == []
    assert main(['plugin']) == 2
    commands = re.findall(r'\{([\w,-]+)\}', capsys.readouterr().out)[0].split(',')
    assert 'build-index' in commands
    assert [name for name in commands for text in (GUIDE, README) if f'`tavern plugin {name}' not in text] == []
    endpoints = [f'`{method} {route.path.replace("{plugin_id}", "{id}")}`'
                 for router in (plugins_api.router, marketplace_api.router) for route in router.routes
                 for method in sorted(route.methods)]
    assert [endpoint for endpoint in endpoints if endpoint not in GUIDE] == []


def test_every_plugin_error_is_explained_and_every_code_named_exists() -> None:
    codes = {key.removeprefix('error.plugins.') for path in I18N_DIR.glob('*.json')
             for key in json.loads(path.read_text(encoding='utf-8')) if key.startswith('error.plugins.')}
    assert [code for code in sorted(codes) if f'`{code}`' not in GUIDE and f'error.plugins.{code}' not in GUIDE] == []
    assert set(re.findall(r'error\.plugins\.(\w+)', GUIDE)) <= codes
