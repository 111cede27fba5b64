"""A plugin in a real browser: a local folder plugin (loaded by the server at start) adds a chat toolbar button, a
message action, a `/roll` command and a prompt hook; the user sees and uses each of them and the reply still comes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_openai import FakeOpenAI, Script
from tests.support.plugin_wheels import manifest_for, unique_id, write_plugin_package

from .actions import register
from .conftest import _run_server

pytestmark = pytest.mark.e2e

TABLETOP = '''
from nicegui import ui
from plugins.sdk import CommandResult, PromptMessage, SlashCommand, hookimpl

def dice_button(target):
    ui.button('Roll d20', icon='casino', on_click=lambda: ui.notify('You rolled a 17')).props('flat dense')

def pin_button(target):
    ui.button(icon='push_pin', on_click=lambda: ui.notify(f'Pinned message {target.message.seq + 1}')) \\
        .props(f'flat dense round aria-label="Pin message {target.message.seq + 1}"')

@hookimpl
def ui_slot(ctx, slot, target):
    return {'chat.input.toolbar': dice_button, 'chat.message.actions': pin_button}.get(slot)

async def roll(call):
    return CommandResult(send=f'I rolled {call.args} and got 7.', notify='The dice are cast')

@hookimpl
def slash_commands(ctx):
    return [SlashCommand('roll', 'Roll dice', roll)]

@hookimpl
def prompt_messages(ctx, messages, chat):
    return [*messages, PromptMessage('system', f'{chat.character_name} keeps score of the dice.')]
'''


@pytest.fixture
def plugin_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The app with the tabletop plugin in its local plugin folder."""
    manifest = manifest_for(unique_id('tabletop'), name='Tabletop',
                            contributes={'slots': ['chat.input.toolbar', 'chat.message.actions'],
                                         'commands': ['roll']})
    write_plugin_package(tmp_path / 'data' / 'plugins' / 'local', manifest, {'plugin.py': TABLETOP})
    yield from _run_server(request, tmp_path, {'DATABASE_URL': '', 'REDIS_URL': '', 'TAVERN_LOCAL_PLUGINS': 'true'})


def test_a_plugin_adds_a_button_an_action_a_command_and_a_prompt_rule(page: Page, plugin_server: str,
                                                                      fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Nat', 'ural', ' seven!'])
    fake_openai.requests.clear()
    base = plugin_server
    register(page, base, 'alice')
    page.request.post(f'{base}/api/v1/connections', data={'name': 'Fake', 'provider': 'openai', 'model': 'fake-model',
                                                          'base_url': fake_openai.base_url, 'is_default': True})
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Ahoy!'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Ahoy!')).to_be_visible()

    page.get_by_role('button', name='Roll d20').click()
    expect(page.get_by_text('You rolled a 17')).to_be_visible()
    page.get_by_role('button', name='Pin message 1').click()
    expect(page.get_by_text('Pinned message 1')).to_be_visible()

    page.get_by_placeholder('Write a message').fill('/roll 2d6')
    page.keyboard.press('Enter')
    expect(page.get_by_text('I rolled 2d6 and got 7.')).to_be_visible()
    expect(page.get_by_text('The dice are cast')).to_be_visible()
    expect(page.get_by_text('Natural seven!')).to_be_visible()
    expect(page.get_by_role('button', name='Pin message 3')).to_be_visible()
    sent = fake_openai.requests[-1]['messages']
    assert sent[-2:] == [{'role': 'user', 'content': 'I rolled 2d6 and got 7.'},
                         {'role': 'system', 'content': 'Mira keeps score of the dice.'}]

    page.get_by_placeholder('Write a message').fill('/dance')
    page.keyboard.press('Enter')
    expect(page.get_by_text('There is no command /dance.', exact=False)).to_be_visible()
    expect(page.get_by_placeholder('Write a message')).to_have_value('/dance')
