"""Plugins in the pages: UI slots, menu links, slash commands, the prompt and render hooks, export formats and
connection kinds, seen and used the way a user does (NiceGUI's simulated user on the real app)."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from nicegui.testing import User

from app import runtime
from app.plugins.manager import LoadedPlugin
from app.services.character_card import CharacterFields
from app.services.connections import ConnectionFields
from tests.support.fake_openai import FakeOpenAI, Script
from tests.support.plugin_wheels import manifest_for, unique_id, write_plugin_package

Login = Callable[..., Awaitable]
LoadPlugin = Callable[..., Awaitable[LoadedPlugin]]
ALL_SLOTS = ['chat.input.toolbar', 'chat.message.actions', 'chat.sidebar', 'character.page.actions',
             'home.sections', 'creator.dashboard.widgets']


@pytest.fixture
def load_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadPlugin:
    root = tmp_path / 'plugin-src'
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))

    async def load(source: str, **manifest: object) -> LoadedPlugin:
        module = write_plugin_package(root, manifest_for(unique_id(), **manifest), {'plugin.py': source})
        (plugin,) = await runtime.services().plugins.load_modules([module])
        assert plugin.load_error is None, plugin.load_error
        return plugin
    return load


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hello', ' there', '!'])
    fake_openai.requests.clear()


async def _chat(owner, fake_openai: FakeOpenAI | None = None) -> tuple[str, str]:
    services = runtime.services()
    if fake_openai is not None:
        await services.connections.create(owner, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                                  base_url=fake_openai.base_url, is_default=True))
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello, {{user}}.'))
    return character.id, (await services.chats.start(owner, character.id)).id


EVERY_SLOT = '''
from nicegui import ui
from plugins.sdk import MenuLink, hookimpl

def toolbar(target):
    ui.button('Roll', on_click=lambda: ui.notify(f'rolled for {target.user.handle}')).mark('dice-button')

def star(target):
    ui.button(icon='star', on_click=lambda: ui.notify(f'starred message {target.message.seq}')) \\
        .mark(f'star-{target.message.seq}')

def text(value, marker):
    return lambda target: ui.label(value).mark(marker)

BUILDERS = {'chat.input.toolbar': toolbar, 'chat.message.actions': star,
            'chat.sidebar': text('Sidebar notes', 'side-notes'),
            'character.page.actions': text('Card tools', 'card-tools'),
            'home.sections': text('Featured today', 'featured'),
            'creator.dashboard.widgets': text('Reader stats', 'reader-stats')}

@hookimpl
def ui_slot(ctx, slot, target):
    return BUILDERS.get(slot)

@hookimpl
def menu_links(ctx, user):
    return [MenuLink('/creator', f'Stats of {user.handle}', 'insights')]
'''


async def test_every_slot_shows_the_plugin_and_its_buttons_work(user: User, login: Login,
                                                                load_plugin: LoadPlugin) -> None:
    plugin = await load_plugin(EVERY_SLOT, contributes={'slots': ALL_SLOTS})
    alice = await login('alice', display_name='Alex')
    character_id, chat_id = await _chat(alice)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='dice-button')
    user.find(marker='dice-button').click()
    await user.should_see('rolled for alice')
    await user.should_see(marker='star-0')
    user.find(marker='star-0').click()
    await user.should_see('starred message 0')
    await user.should_see(marker='side-notes')
    await user.should_see(marker=f'plugin-link-{plugin.id}')
    await user.should_see('Stats of alice')
    await user.open(f'/characters/{character_id}')
    await user.should_see(marker='card-tools')
    await user.open('/')
    await user.should_see(marker='featured')
    await user.open('/creator')
    await user.should_see(marker='reader-stats')
    assert user.find(marker='creator-characters').elements.pop().text == '1'
    assert user.find(marker='creator-chats').elements.pop().text == '1'


async def test_message_actions_only_appear_when_a_plugin_declares_them(user: User, login: Login,
                                                                       load_plugin: LoadPlugin) -> None:
    await load_plugin(EVERY_SLOT, contributes={'slots': ['chat.input.toolbar']})
    alice = await login('alice')
    _, chat_id = await _chat(alice)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='dice-button')
    await user.should_not_see(marker='star-0')
    await user.should_not_see(marker='plugin-slot-chat.message.actions')


async def test_a_plugin_switched_off_by_one_user_is_gone_for_that_user_only(user: User, login: Login,
                                                                            load_plugin: LoadPlugin) -> None:
    plugin = await load_plugin(EVERY_SLOT, contributes={'slots': ALL_SLOTS}, user_toggleable=True)
    bob = await runtime.services().accounts.register('bob', 'correct horse battery')
    await runtime.services().plugins.set_user_enabled(plugin.id, bob, False)
    alice = await login('alice')
    _, chat_id = await _chat(alice)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='dice-button')
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit')
    user.find(marker='handle').type('bob')
    user.find(marker='password').type('correct horse battery')
    user.find(marker='login-submit').click()
    await user.should_see(marker='user-menu', retries=50)
    _, bobs_chat = await _chat(bob)
    await user.open(f'/chat/{bobs_chat}')
    await user.should_see('Hello, bob.')
    await user.should_not_see(marker='dice-button')
    await user.should_not_see(marker=f'plugin-link-{plugin.id}')


BROKEN_SLOT = '''
from plugins.sdk import hookimpl

def explode(target):
    raise RuntimeError('the toolbar broke')

@hookimpl
def ui_slot(ctx, slot, target):
    return explode if slot == 'chat.input.toolbar' else None
'''


async def test_a_raising_builder_shows_an_error_chip_and_the_page_keeps_working(
        user: User, login: Login, load_plugin: LoadPlugin, fake_openai: FakeOpenAI) -> None:
    broken = await load_plugin(BROKEN_SLOT)
    await load_plugin(EVERY_SLOT)
    alice = await login('alice')
    _, chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker=f'plugin-error-{broken.id}')
    await user.should_see(f'{broken.manifest.name} failed')
    await user.should_see(marker='dice-button')
    user.find(marker='chat-input').type('Still here?')
    user.find(marker='send').click()
    await user.should_see('Hello there!', retries=100)
    errors = await runtime.services().plugins.recent_errors(broken.id)
    assert [(error.hook, error.message) for error in errors] == [('ui_slot:chat.input.toolbar',
                                                                   'RuntimeError: the toolbar broke')]


DICE = '''
from plugins.sdk import CommandResult, SlashCommand, hookimpl

async def roll(call):
    return CommandResult(send=f'I rolled {call.args}: 7', system_note=f'{call.chat.user_name} rolled {call.args} = 7',
                         notify='Dice rolled')

@hookimpl
def slash_commands(ctx):
    return [SlashCommand('roll', 'Roll dice', roll)]
'''


async def test_a_slash_command_sends_text_adds_a_note_and_lists_commands(
        user: User, login: Login, load_plugin: LoadPlugin, fake_openai: FakeOpenAI) -> None:
    await load_plugin(DICE)
    alice = await login('alice', display_name='Alex')
    _, chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    user.find(marker='chat-input').type('/roll 2d6')
    user.find(marker='send').click()
    await user.should_see('I rolled 2d6: 7')
    await user.should_see('Alex rolled 2d6 = 7')
    await user.should_see('Dice rolled')
    await user.should_see('Hello there!', retries=100)
    messages = (await runtime.services().chats.messages(alice, chat_id)).items
    assert [(m.role, m.content) for m in messages[1:3]] == [('system', 'Alex rolled 2d6 = 7'),
                                                             ('user', 'I rolled 2d6: 7')]
    assert all('rolled 2d6 = 7' not in item['content'] for item in fake_openai.requests[-1]['messages'])
    user.find(marker='chat-input').type('/help')
    user.find(marker='send').click()
    await user.should_see('Commands: /roll – Roll dice · /help')
    user.find(marker='chat-input').clear().type('/dance')
    user.find(marker='send').click()
    await user.should_see('There is no command /dance. Commands: /roll – Roll dice · /help')
    assert user.find(marker='chat-input').elements.pop().value == '/dance'
    assert len((await runtime.services().chats.messages(alice, chat_id)).items) == len(messages)


PIRATE = '''
from plugins.sdk import PromptMessage, hookimpl

@hookimpl
def prompt_messages(ctx, messages):
    return [*messages, PromptMessage('system', 'Answer like a pirate.')]

@hookimpl
def render_message(ctx, text, message):
    return text.replace('Hello', 'Ahoy') if message.role == 'assistant' else None
'''


async def test_prompt_and_render_hooks_show_in_the_preview_and_only_change_the_display(
        user: User, login: Login, load_plugin: LoadPlugin, fake_openai: FakeOpenAI) -> None:
    await load_plugin(PIRATE)
    alice = await login('alice', display_name='Alex')
    _, chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    await user.should_see('Ahoy, Alex.')
    await user.should_not_see('Hello, Alex.')
    user.find(marker='edit-message-0').click()
    assert user.find(marker='edit-text').elements.pop().value == 'Hello, {{user}}.'
    user.find(marker='cancel-edit').click()
    user.find(marker='chat-menu').click()
    user.find(marker='prompt-preview-open').click()
    await user.should_see('Answer like a pirate.')
    await user.should_see(marker='preview-block-plugins')
    stored = (await runtime.services().chats.messages(alice, chat_id)).items[0]
    assert stored.content == 'Hello, {{user}}.'


FORMATS_AND_KIND = '''
from nicegui import ui
from app.services.providers.openai_compatible import OpenAICompatibleProvider
from plugins.sdk import ExportFormat, ProviderKindSpec, hookimpl

async def shout(chat):
    return '\\n'.join(m.content.upper() for m in chat.messages).encode()

@hookimpl
def export_formats(ctx):
    return [ExportFormat('shout', 'Shouting text', 'text/plain; charset=utf-8', 'txt', shout)]

@hookimpl
def llm_providers(ctx):
    return [ProviderKindSpec(f'{ctx.plugin_id}_relay', 'Relay (plugin)', 'http://127.0.0.1:1/v1', False, False,
                             OpenAICompatibleProvider)]
'''


async def test_an_export_format_downloads_and_a_connection_kind_is_offered(
        user: User, login: Login, load_plugin: LoadPlugin) -> None:
    plugin = await load_plugin(FORMATS_AND_KIND)
    alice = await login('alice', display_name='Alex')
    _, chat_id = await _chat(alice)
    await user.open(f'/chat/{chat_id}')
    user.find(marker='chats-toggle').click()
    user.find(marker=f'export-chat-{chat_id}').click()
    user.find(marker=f'export-shout-{chat_id}').click()
    download = await user.download.next()
    assert download.status_code == 200 and download.text == 'HELLO, {{USER}}.'
    await user.open('/connections')
    user.find(marker='add-connection').click()
    options = user.find(marker='connection-kind').elements.pop().options
    assert options[f'{plugin.id}_relay'] == 'Relay (plugin)'
