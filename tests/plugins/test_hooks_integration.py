"""Plugin hooks reaching the real app: prompt, inlet, stream, outlet, events, chat formats, connection kinds and
`tavern` commands, each checked through the services (and the fake OpenAI server) rather than by calling the hook.
A raising or hanging hook must leave the chat working and its error recorded."""

import asyncio
import importlib
from pathlib import Path

import pytest

from app.cli import main as tavern
from app.db.models import Chat, User
from app.errors import InvalidInputError
from app.plugins.manager import LoadedPlugin
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.connections import ConnectionFields
from app.services.container import Services
from app.services.generation_stream import collect
from app.services.providers.kinds import PROVIDER_KINDS
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script
from tests.support.plugin_wheels import manifest_for, unique_id, write_plugin_package

PASSWORD = 'correct horse battery'


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hel', 'lo', '.'])
    fake_openai.requests.clear()


@pytest.fixture
def plugin_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / 'plugin-src'
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


async def _load(services: Services, root: Path, source: str, **manifest: object) -> LoadedPlugin:
    plugin_id = unique_id()
    module = write_plugin_package(root, manifest_for(plugin_id, **manifest), {'plugin.py': source})
    (plugin,) = await services.plugins.load_modules([module])
    assert plugin.load_error is None, plugin.load_error
    return plugin


async def _setup(services: Services, fake_openai: FakeOpenAI) -> tuple[User, Chat]:
    alice = await services.accounts.register('alice', PASSWORD, display_name='Alex')
    return alice, await chat_on_fake_openai(services, alice, fake_openai)


async def _errors(services: Services, plugin: LoadedPlugin) -> list[tuple[str, str]]:
    return [(error.hook, error.message) for error in await services.plugins.recent_errors(plugin.id, 50)]


PIRATE = '''
from plugins.sdk import PromptMessage, hookimpl

calls = []

@hookimpl
def prompt_messages(ctx, messages, chat):
    calls.append(chat.character_name)
    return [*messages, PromptMessage('system', f'{chat.user_name}, answer like a pirate.')]
'''


async def test_the_prompt_hook_changes_what_the_model_gets_and_what_the_preview_shows(
        services: Services, fake_openai: FakeOpenAI, plugin_root: Path) -> None:
    plugin = await _load(services, plugin_root, PIRATE)
    alice, chat = await _setup(services, fake_openai)
    await services.generation.send(alice, chat.id, 'Ahoy')
    await services.generation.wait(chat.id)
    sent = fake_openai.requests[-1]['messages']
    assert sent[-2:] == [{'role': 'user', 'content': 'Ahoy'},
                         {'role': 'system', 'content': 'Alex, answer like a pirate.'}]
    _, prepared = await services.generation.preview(alice, chat.id)
    assert prepared.built.messages[-1].content == 'Alex, answer like a pirate.'
    assert prepared.built.sources[-1] == 'plugins' and prepared.built.block_tokens['plugins'] > 0
    assert prepared.built.total_tokens == sum(prepared.built.block_tokens.values())
    calls = importlib.import_module(plugin.module_name).calls
    assert calls == ['Mira', 'Mira']
    await services.generation.prompt_tokens(alice, chat.id, 'typing…')
    assert len(calls) == 2, 'counting tokens while typing must not run prompt plugins'


TRANSFORMS = '''
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text, chat):
    return text.upper()

@hookimpl
def stream_delta(ctx, text):
    return text.replace('l', '1')

@hookimpl
async def reply_finished(ctx, text):
    return text + ' [checked]'
'''


async def test_inlet_stream_and_outlet_hooks_transform_the_messages(services: Services, fake_openai: FakeOpenAI,
                                                                    plugin_root: Path) -> None:
    await _load(services, plugin_root, TRANSFORMS)
    alice, chat = await _setup(services, fake_openai)
    watcher = asyncio.create_task(collect(services.streams.subscribe(chat.id, after_id='$')))
    message, reply_id = await services.generation.send(alice, chat.id, 'Hey there')
    await services.generation.wait(chat.id)
    assert message.content == 'HEY THERE'
    assert fake_openai.requests[-1]['messages'][-1] == {'role': 'user', 'content': 'HEY THERE'}
    deltas = [event.data for event in await watcher if event.kind == 'message']
    assert deltas == ['He1', '1o', '.']
    reply = await services.chats.message(alice, reply_id)
    assert (reply.content, reply.status) == ('He11o. [checked]', 'complete')


async def test_an_inlet_returning_nothing_withholds_the_message(services: Services, fake_openai: FakeOpenAI,
                                                               plugin_root: Path) -> None:
    await _load(services, plugin_root, '''
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text):
    return '' if 'secret' in text else None
''')
    alice, chat = await _setup(services, fake_openai)
    with pytest.raises(InvalidInputError) as refused:
        await services.generation.send(alice, chat.id, 'my secret plan')
    assert refused.value.code == 'error.plugins.message_withheld'
    assert [m.content for m in (await services.chats.messages(alice, chat.id)).items] == ['Hello.']
    message, _ = await services.generation.send(alice, chat.id, 'an open plan')
    await services.generation.wait(chat.id)
    assert message.content == 'an open plan'


BROKEN = '''
import asyncio
from plugins.sdk import PromptMessage, hookimpl

@hookimpl
def prompt_messages(ctx, messages):
    raise RuntimeError('prompt plugin broke')

@hookimpl
def stream_delta(ctx, text):
    raise ValueError('stream plugin broke')

@hookimpl
async def reply_finished(ctx, text):
    await asyncio.Event().wait()
'''


async def test_raising_and_hanging_hooks_leave_the_reply_working_and_are_recorded(
        services: Services, fake_openai: FakeOpenAI, plugin_root: Path) -> None:
    services.settings.plugin_hook_timeout_seconds = 0.3
    plugin = await _load(services, plugin_root, BROKEN)
    alice, chat = await _setup(services, fake_openai)
    _, reply_id = await services.generation.send(alice, chat.id, 'Hi')
    await services.generation.wait(chat.id)
    reply = await services.chats.message(alice, reply_id)
    assert (reply.content, reply.status) == ('Hello.', 'complete')
    assert fake_openai.requests[-1]['messages'][-1] == {'role': 'user', 'content': 'Hi'}
    errors = await _errors(services, plugin)
    assert ('prompt_messages', 'RuntimeError: prompt plugin broke') in errors
    assert errors.count(('stream_delta', 'ValueError: stream plugin broke')) == 3
    assert ('reply_finished', 'did not finish within 0.3 s and was cancelled') in errors
    assert services.plugins.error_counts[plugin.id] == 5
    assert not services.generation.is_running(chat.id)


EVENTS = '''
import asyncio
from plugins.sdk import hookimpl

seen = []
finished = asyncio.Event()

@hookimpl
def event(ctx, name, payload):
    seen.append((name, sorted(payload)))
    if name == 'reply.finished':
        finished.set()
'''


async def test_events_tell_plugins_what_happened(services: Services, fake_openai: FakeOpenAI,
                                                 plugin_root: Path) -> None:
    plugin = await _load(services, plugin_root, EVENTS)
    module = importlib.import_module(plugin.module_name)
    alice, chat = await _setup(services, fake_openai)
    await services.generation.send(alice, chat.id, 'Hi')
    await asyncio.wait_for(module.finished.wait(), 10)
    assert module.seen == [
        ('user.registered', ['handle', 'user_id']),
        ('character.created', ['character_id', 'name', 'user_id']),
        ('chat.created', ['character_id', 'chat_id', 'user_id']),
        ('message.created', ['chat_id', 'message_id', 'role', 'text', 'user_id']),
        ('reply.finished', ['chat_id', 'message_id', 'status', 'text', 'user_id']),
    ]


FORMATS = '''
import json
from plugins.sdk import ExportFormat, ImportFormat, hookimpl

async def shout(chat):
    lines = [f'{m.name or m.role}: {m.content}'.upper() for m in chat.messages]
    return '\\n'.join([chat.chat.character_name, *lines]).encode()

async def from_lines(data, filename):
    rows = [line.split(': ', 1) for line in data.decode().splitlines() if ': ' in line]
    header = {'user_name': 'You', 'character_name': 'Mira', 'chat_metadata': {}}
    messages = [{'name': name, 'is_user': name == 'You', 'mes': text} for name, text in rows]
    return '\\n'.join(json.dumps(item) for item in [header, *messages]).encode()

@hookimpl
def export_formats(ctx):
    return [ExportFormat('shout', 'Shouting text', 'text/plain; charset=utf-8', 'shout.txt', shout)]

@hookimpl
def import_formats(ctx):
    return [ImportFormat('lines', 'Name: text lines', ('.log',), 'chat', from_lines)]
'''


async def test_a_plugin_export_format_downloads_the_chat(services: Services, fake_openai: FakeOpenAI,
                                                        plugin_root: Path) -> None:
    await _load(services, plugin_root, FORMATS)
    alice, chat = await _setup(services, fake_openai)
    await services.chats.append(alice, chat.id, NewMessage(role='user', content='Hi there'))
    download = await services.chat_export.export(alice, chat.id, 'shout')
    assert download.media_type == 'text/plain; charset=utf-8' and download.filename.endswith('.shout.txt')
    assert download.content.decode().splitlines() == ['Mira', 'MIRA: HELLO.', 'USER: HI THERE']
    with pytest.raises(InvalidInputError) as unknown:
        await services.chat_export.export(alice, chat.id, 'nope')
    assert unknown.value.params['known'] == 'jsonl, md, txt, shout'


async def test_a_plugin_import_format_reads_a_file_the_app_refuses(services: Services, fake_openai: FakeOpenAI,
                                                                  plugin_root: Path) -> None:
    alice, chat = await _setup(services, fake_openai)
    data = b'You: Where are we?\nMira: In the old library.\n'
    with pytest.raises(InvalidInputError):
        await services.chat_import.import_file(alice, data, 'session.log', chat.character_id)
    await _load(services, plugin_root, FORMATS)
    (imported,) = await services.chat_import.import_file(alice, data, 'session.log', chat.character_id)
    messages = (await services.chats.messages(alice, imported.id)).items
    assert [(m.role, m.content) for m in messages] == [('user', 'Where are we?'), ('assistant', 'In the old library.')]
    with pytest.raises(InvalidInputError):
        await services.chat_import.import_file(alice, data, 'session.txt', chat.character_id)


PROVIDER = '''
from app.services.providers.base import Delta, ModelInfo
from plugins.sdk import ProviderKindSpec, hookimpl

class EchoProvider:
    SUPPORTED_SAMPLERS = frozenset({'max_tokens'})

    def __init__(self, base_url, api_key, *, client, options):
        self.base_url = base_url

    async def stream(self, request):
        yield Delta(f'echo from {self.base_url}: ')
        yield Delta(request.messages[-1].content, finish_reason='stop')

    async def list_models(self):
        return [ModelInfo(id='echo')]

@hookimpl
def llm_providers(ctx):
    return [ProviderKindSpec(f'{ctx.plugin_id}_echo', 'Echo (plugin)', 'echo://here', False, False, EchoProvider)]
'''


async def test_a_plugin_connection_kind_answers_chats(services: Services, plugin_root: Path) -> None:
    plugin = await _load(services, plugin_root, PROVIDER)
    alice = await services.accounts.register('alice', PASSWORD)
    kind = f'{plugin.id}_echo'
    assert PROVIDER_KINDS[kind].label == 'Echo (plugin)'
    await services.connections.create(alice, ConnectionFields(name='Echo', provider=kind, model='echo',
                                                              is_default=True))
    character = await services.characters.create(alice, CharacterFields(name='Mira'))
    chat = await services.chats.start(alice, character.id)
    _, reply_id = await services.generation.send(alice, chat.id, 'ping')
    await services.generation.wait(chat.id)
    assert (await services.chats.message(alice, reply_id)).content == 'echo from echo://here: ping'


CLI = '''
from plugins.sdk import CliCommand, hookimpl

def add_arguments(parser):
    parser.add_argument('who')

@hookimpl
def cli_commands(ctx):
    async def greet(args):
        await ctx.kv.set('greeted', args.who)
        print(f"hello {await ctx.kv.get('greeted')}")
        return 3

    return [CliCommand('greet-someone', 'Say hello.', greet, add_arguments)]
'''


def test_a_plugin_adds_a_tavern_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / 'data'
    write_plugin_package(data_dir / 'plugins' / 'local', manifest_for(unique_id()), {'plugin.py': CLI})
    database_url = f'sqlite:///{tmp_path / "tavern.db"}'
    monkeypatch.setenv('TAVERN_LOCAL_PLUGINS', 'true')
    monkeypatch.setenv('DATABASE_URL', database_url)
    monkeypatch.setenv('REDIS_URL', '')
    monkeypatch.setenv('TAVERN_SECRET_KEY', 'cli-test')
    assert tavern(['greet-someone', 'Ann', '--data-dir', str(data_dir)]) == 3
    assert capsys.readouterr().out.strip() == 'hello Ann'
    with pytest.raises(SystemExit):
        tavern(['no-such-command', '--data-dir', str(data_dir)])
    assert 'greet-someone' in capsys.readouterr().err
