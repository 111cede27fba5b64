"""The files `tavern plugin new NAME` writes, as text with three placeholders: `__PLUGIN_ID__` (the import package
and plugin id), `__PLUGIN_NAME__` (the display name) and `__DIST_NAME__` (the distribution name).

The generated plugin shows one of each common contribution — a chat toolbar button, a REST route, an admin settings
model and a prompt hook — and comes with a test that runs on the SDK's test harness.
"""

from __future__ import annotations

PYPROJECT = '''\
[project]
name = "__DIST_NAME__"
version = "0.1.0"
description = "__PLUGIN_NAME__: a TavernAI Plus plugin."
requires-python = ">=3.11"

# The app finds the plugin through this entry point; its name must be the plugin id.
[project.entry-points."tavernai_plus.plugins"]
__PLUGIN_ID__ = "__PLUGIN_ID__.plugin"

[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["__PLUGIN_ID__"]

[tool.setuptools.package-data]
__PLUGIN_ID__ = ["plugin.json", "i18n/*.json"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
pythonpath = ["."]
testpaths = ["tests"]
'''

MANIFEST = '''\
{
  "id": "__PLUGIN_ID__",
  "name": "__PLUGIN_NAME__",
  "version": "0.1.0",
  "description": "Greets you from the chat toolbar, answers GET /api/plugins/__PLUGIN_ID__/hello and asks the \
character to greet you.",
  "author": "",
  "homepage": "",
  "license": "MIT",
  "requires_app": ">=0.1",
  "requires_python": ">=3.11",
  "depends_on": {},
  "permissions": ["chat.read"],
  "user_toggleable": true,
  "tags": ["example"],
  "contributes": {"slots": ["chat.input.toolbar"], "commands": [], "pages": [], "routes": true,
                  "settings": true, "user_settings": false},
  "entry_point": "__PLUGIN_ID__.plugin"
}
'''

PACKAGE_INIT = '''\
"""__PLUGIN_NAME__: a TavernAI Plus plugin. The hooks are in `plugin.py`, the manifest in `plugin.json`."""
'''

PLUGIN_MODULE = '''\
"""__PLUGIN_NAME__: the plugin's hooks.

The app imports this module (the entry point named in `plugin.json` and `pyproject.toml`) and calls every function
marked `@hookimpl`. Each hook gets `ctx`, this plugin's context: its settings, translations, logger and services.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from pydantic import BaseModel, Field

from plugins.sdk import ChatInfo, PluginContext, PromptMessage, SlotTarget, hookimpl

TOOLBAR_SLOT = 'chat.input.toolbar'


class Settings(BaseModel):
    """The admin's settings form on the Plugins page is made from this model."""

    greeting: str = Field(default='Hello', min_length=1, max_length=100,
                          description='What the greeter says, on the toolbar button and to the character.')


@hookimpl
def ui_slot(ctx: PluginContext, slot: str, target: SlotTarget) -> Callable[[SlotTarget], None] | None:
    """Add a button to the chat page's input toolbar; other slots get nothing."""
    if slot != TOOLBAR_SLOT:
        return None
    return lambda slot_target: greet_button(ctx, slot_target)


def greet_button(ctx: PluginContext, target: SlotTarget) -> None:
    from nicegui import ui  # UI code imports NiceGUI inside the builder, so the plugin also loads without a UI

    label = ctx.t('button', target.locale)
    greeting = ctx.settings().greeting
    ui.button(icon='waving_hand', on_click=lambda: ui.notify(f'{greeting}!')) \\
        .props(f'flat round dense aria-label="{label}"').tooltip(label)


@hookimpl
def register_routes(ctx: PluginContext) -> list[APIRouter]:
    """Routes are mounted under /api/plugins/__PLUGIN_ID__ and answer 404 while the plugin is disabled."""
    router = APIRouter()

    @router.get('/hello')
    async def hello() -> dict[str, str]:
        return {'greeting': ctx.settings().greeting}

    return [router]


@hookimpl
def prompt_messages(ctx: PluginContext, messages: list[PromptMessage], chat: ChatInfo) -> list[PromptMessage]:
    """Runs on every reply's final prompt: ask the character, just before the last message, to greet the user."""
    note = PromptMessage(role='system', content=f'Greet {chat.user_name} with the words "{ctx.settings().greeting}".')
    return [*messages[:-1], note, *messages[-1:]]
'''

I18N_EN = '''\
{"button": "Say hello"}
'''

I18N_ZH = '''\
{"button": "打个招呼"}
'''

TEST_MODULE = '''\
"""Tests for __PLUGIN_NAME__, run with `pytest` in the plugin's folder. The harness builds the real app services on
a temporary database and registers exactly this plugin."""

from __future__ import annotations

from plugins.sdk import PromptMessage
from plugins.sdk.testing import plugin_harness

from __PLUGIN_ID__ import plugin


async def test_the_hello_route_answers_with_the_configured_greeting() -> None:
    async with plugin_harness(plugin, settings={'greeting': 'Howdy'}) as h:
        response = await h.client.get('/api/plugins/__PLUGIN_ID__/hello')
    assert response.status_code == 200
    assert response.json() == {'greeting': 'Howdy'}


async def test_the_prompt_hook_asks_for_the_greeting_before_the_last_message() -> None:
    async with plugin_harness(plugin, settings={'greeting': 'Howdy'}) as h:
        chat = await h.chat()
        messages = [PromptMessage(role='system', content='You are a helpful character.'),
                    PromptMessage(role='user', content='Hi!')]
        prompt = await h.pipe('prompt_messages', messages, chat=chat)
    assert [message.role for message in prompt] == ['system', 'system', 'user']
    assert 'Howdy' in prompt[1].content


async def test_only_the_chat_toolbar_gets_a_button() -> None:
    async with plugin_harness(plugin) as h:
        toolbar = await h.call('ui_slot', slot='chat.input.toolbar', target=None)
        sidebar = await h.call('ui_slot', slot='chat.sidebar', target=None)
    assert len(toolbar) == 1
    assert callable(toolbar[0])
    assert sidebar == []
'''

README = '''\
# __PLUGIN_NAME__

A TavernAI Plus plugin: a chat toolbar button, a REST route (`GET /api/plugins/__PLUGIN_ID__/hello`), an admin
settings form and a prompt hook. Change `__PLUGIN_ID__/plugin.py` to make it yours, and `__PLUGIN_ID__/plugin.json`
to describe it (name, version, permissions, what it needs).

- Test it: `pytest` in this folder.
- Package it into an index: `tavern plugin build-index . --out ../my-index`, then serve that folder (any static
  web server) and add its `index.json` URL to `TAVERN_PLUGIN_INDEX_URLS`; or point the setting at the folder itself.
- Install it on a server: from the Marketplace page, or `tavern plugin install __PLUGIN_ID__`.
'''
