"""The plugin manager on the real services: isolation of failing and hanging hooks, per-user and global switches,
load order, requirements, settings, own tables and the plugin context."""

import asyncio
from pathlib import Path

import pytest

from app.plugins import PluginStateError
from app.plugins.manager import LoadedPlugin, PluginManager
from app.services.container import Services
from plugins.sdk import ChatInfo
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script
from tests.support.plugin_wheels import manifest_for, unique_id, write_plugin_package

PASSWORD = 'correct horse battery'


@pytest.fixture
def plugin_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / 'plugin-src'
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


async def _load(services: Services, root: Path, source: str, *, plugin_id: str | None = None,
                extra_modules: dict[str, str] | None = None, **manifest: object) -> LoadedPlugin:
    plugin_id = plugin_id or unique_id()
    module = write_plugin_package(root, manifest_for(plugin_id, **manifest),
                                  {'plugin.py': source, **(extra_modules or {})})
    (plugin,) = await services.plugins.load_modules([module])
    return plugin


UPPER = '''
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text):
    return text.upper()
'''

RAISES = '''
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text):
    raise RuntimeError('the plugin broke')
'''

HANGS = '''
import asyncio
from plugins.sdk import hookimpl

@hookimpl
async def message_submitted(ctx, text):
    await asyncio.Event().wait()
'''


async def test_a_raising_hook_is_recorded_and_the_others_still_run(services: Services, plugin_root: Path) -> None:
    broken = await _load(services, plugin_root, RAISES)
    upper = await _load(services, plugin_root, UPPER)
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'HI'
    results = await services.plugins.call_each('message_submitted', text='hi', chat=None)
    assert results == [(upper.id, 'HI')]
    errors = await services.plugins.recent_errors(broken.id)
    expected = ('message_submitted', 'RuntimeError: the plugin broke')
    assert [(error.hook, error.message) for error in errors] == [expected, expected]
    assert 'the plugin broke' in errors[0].detail and broken.error_count == 2
    assert broken.status == 'enabled'


async def test_a_hanging_hook_is_cut_off_by_the_timeout(services: Services, plugin_root: Path) -> None:
    services.settings.plugin_hook_timeout_seconds = 0.2
    hanging = await _load(services, plugin_root, HANGS)
    upper = await _load(services, plugin_root, UPPER)
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'HI'
    (error,) = await services.plugins.recent_errors(hanging.id)
    assert error.message == 'did not finish within 0.2 s and was cancelled'
    assert await services.plugins.recent_errors(upper.id) == []


async def test_a_call_may_pass_its_own_timeout(services: Services, plugin_root: Path) -> None:
    hanging = await _load(services, plugin_root, HANGS)
    assert await services.plugins.call_each('message_submitted', timeout=0.05, text='x', chat=None) == []
    (error,) = await services.plugins.recent_errors(hanging.id)
    assert 'within 0.05 s' in error.message


async def test_sync_hooks_run_inline_and_an_awaitable_they_return_is_awaited(services: Services,
                                                                             plugin_root: Path) -> None:
    source = '''
import asyncio
from plugins.sdk import hookimpl

async def _later(text):
    await asyncio.sleep(0)
    return text + '!'

@hookimpl
def message_submitted(ctx, text):
    return _later(text)

@hookimpl
def stream_delta(ctx, text):
    return text * 2
'''
    await _load(services, plugin_root, source)
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'hi!'
    assert await services.plugins.pipe('stream_delta', 'ab', chat=None) == 'abab'


async def test_a_slow_sync_hook_keeps_its_result_but_is_reported(services: Services, plugin_root: Path) -> None:
    source = '''
import time
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text):
    time.sleep(0.2)
    return text + '!'
'''
    plugin = await _load(services, plugin_root, source)
    assert await services.plugins.pipe('message_submitted', 'hi', timeout=0.05, chat=None) == 'hi!'
    (error,) = await services.plugins.recent_errors(plugin.id)
    assert error.message.startswith('a sync hook took ') and 'limit 0.05 s' in error.message


async def test_a_result_of_the_wrong_kind_is_ignored_and_recorded(services: Services, plugin_root: Path) -> None:
    source = '''
from plugins.sdk import hookimpl

@hookimpl
def stream_delta(ctx, text):
    return 42
'''
    plugin = await _load(services, plugin_root, source)
    assert await services.plugins.pipe('stream_delta', 'ab', chat=None) == 'ab'
    (error,) = await services.plugins.recent_errors(plugin.id)
    assert error.message == 'returned int instead of str; the result was ignored'


async def test_hooks_run_in_dependency_order(services: Services, plugin_root: Path) -> None:
    first, second = 'zz_' + unique_id(), 'aa_' + unique_id()
    append = '''
from plugins.sdk import hookimpl

@hookimpl
def message_submitted(ctx, text):
    return text + '-' + ctx.plugin_id[:2]
'''
    module_first = write_plugin_package(plugin_root, manifest_for(first), {'plugin.py': append})
    module_second = write_plugin_package(plugin_root, manifest_for(second, depends_on={first: '>=1.0'}),
                                         {'plugin.py': append})
    loaded = await services.plugins.load_modules([module_second, module_first])
    assert [plugin.id for plugin in loaded] == [first, second]
    assert all(plugin.load_error is None for plugin in loaded)
    assert await services.plugins.pipe('message_submitted', 'x', chat=None) == 'x-zz-aa'


async def test_missing_or_incompatible_requirements_fail_the_load_with_the_reason(services: Services,
                                                                                  plugin_root: Path) -> None:
    missing = await _load(services, plugin_root, UPPER, depends_on={'absent_plugin': '>=1.0'})
    assert missing.status == 'failed'
    assert missing.load_error == f'{missing.manifest.name} needs the plugin "absent_plugin" >=1.0; install it first.'
    too_new = await _load(services, plugin_root, UPPER, requires_app='>=99')
    assert too_new.load_error.startswith(f'{too_new.manifest.name} 1.0.0 needs TavernAI Plus >=99; this is ')
    old_python = await _load(services, plugin_root, UPPER, requires_python='<3')
    assert 'needs Python <3' in old_python.load_error
    assert not services.plugins.has_impls('message_submitted')
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'hi'


async def test_an_import_error_or_an_unknown_hook_fails_only_that_plugin(services: Services,
                                                                         plugin_root: Path) -> None:
    crashing = await _load(services, plugin_root, 'raise ImportError("no such thing")')
    assert crashing.load_error == 'ImportError: no such thing'
    typo = await _load(services, plugin_root, 'from plugins.sdk import hookimpl\n\n@hookimpl\ndef strtup(ctx):\n'
                                              '    pass\n')
    assert typo.load_error == f'{typo.manifest.name} implements hooks that do not exist: strtup.'
    good = await _load(services, plugin_root, UPPER)
    assert good.status == 'enabled'
    assert [plugin.id for plugin in services.plugins.loaded()] == [crashing.id, typo.id, good.id]


async def test_the_global_switch_stops_every_hook_and_is_stored(services: Services, plugin_root: Path) -> None:
    source = '''
from plugins.sdk import hookimpl

CALLS = []

@hookimpl
def message_submitted(ctx, text):
    return text.upper()

@hookimpl
def on_disable(ctx, user):
    CALLS.append(('off', user))

@hookimpl
def on_enable(ctx, user):
    CALLS.append(('on', user))
'''
    plugin = await _load(services, plugin_root, source)
    await services.plugins.set_enabled(plugin.id, False)
    assert not services.plugins.is_enabled(plugin.id) and not services.plugins.has_impls('message_submitted')
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'hi'
    row = await services.plugins.state.install_row(plugin.id)
    assert row is not None and row.enabled is False
    await services.plugins.set_enabled(plugin.id, True)
    assert await services.plugins.pipe('message_submitted', 'hi', chat=None) == 'HI'
    assert plugin.module.CALLS == [('off', None), ('on', None)]
    fresh = PluginManager(services.settings, services.db, services.kv)
    fresh.attach(services)
    await services.plugins.set_enabled(plugin.id, False)
    (reloaded,) = await fresh.load_modules([plugin.module_name])
    assert reloaded.enabled is False and reloaded.status == 'disabled'


async def test_a_user_can_switch_off_a_toggleable_plugin_for_themselves(services: Services,
                                                                        plugin_root: Path) -> None:
    alice = await services.accounts.register('alice', PASSWORD)
    bob = await services.accounts.register('bob', PASSWORD)
    plugin = await _load(services, plugin_root, UPPER, user_toggleable=True)
    await services.plugins.set_user_enabled(plugin.id, bob, False)
    assert await services.plugins.pipe('message_submitted', 'hi', user=alice, chat=None) == 'HI'
    assert await services.plugins.pipe('message_submitted', 'hi', user=bob, chat=None) == 'hi'
    assert services.plugins.is_enabled(plugin.id) and not services.plugins.is_enabled(plugin.id, bob)
    fresh = PluginManager(services.settings, services.db, services.kv)
    fresh.attach(services)
    await fresh.load_modules([plugin.module_name])
    assert fresh.is_enabled(plugin.id, alice) and not fresh.is_enabled(plugin.id, bob)


async def test_a_plugin_that_is_not_toggleable_refuses_a_user_switch(services: Services, plugin_root: Path) -> None:
    bob = await services.accounts.register('bob', PASSWORD)
    plugin = await _load(services, plugin_root, UPPER)
    with pytest.raises(PluginStateError) as caught:
        await services.plugins.set_user_enabled(plugin.id, bob, False)
    assert caught.value.code == 'error.plugins.not_user_toggleable'
    assert services.plugins.is_enabled(plugin.id, bob)


async def test_events_are_delivered_without_waiting(services: Services, plugin_root: Path) -> None:
    source = '''
import asyncio
from plugins.sdk import hookimpl

SEEN = []
DELIVERED = asyncio.Event()

@hookimpl
async def event(ctx, name, payload):
    SEEN.append((name, payload))
    DELIVERED.set()
'''
    plugin = await _load(services, plugin_root, source)
    services.plugins.notify('chat.created', {'chat_id': 'c1'})
    assert plugin.module.SEEN == []
    await asyncio.wait_for(plugin.module.DELIVERED.wait(), 10)
    assert plugin.module.SEEN == [('chat.created', {'chat_id': 'c1'})]


async def test_the_context_gives_settings_translations_and_a_namespaced_store(services: Services,
                                                                              plugin_root: Path) -> None:
    source = '''
from pydantic import BaseModel
from plugins.sdk import hookimpl, secret


class Settings(BaseModel):
    greeting: str = 'hello'
    token: str = secret()


class UserSettings(BaseModel):
    shout: bool = False


@hookimpl
async def message_submitted(ctx, text, user):
    mine = await ctx.user_settings(user)
    await ctx.kv.set('last', text)
    result = f"{ctx.settings().greeting} {ctx.t('word', user.locale or 'zh-CN')} {text}"
    return result.upper() if mine.shout else result
'''
    alice = await services.accounts.register('alice', PASSWORD)
    plugin = await _load(services, plugin_root, source,
                         extra_modules={'i18n/en.json': '{"word": "world"}', 'i18n/zh-CN.json': '{"word": "世界"}'})
    assert await services.plugins.pipe('message_submitted', 'x', user=alice, chat=None) == 'hello 世界 x'
    await services.plugins.write_settings(plugin.id, 'admin', {'greeting': 'hi', 'token': 's3cret'})
    await services.plugins.write_settings(plugin.id, 'user', {'shout': True}, alice)
    assert await services.plugins.pipe('message_submitted', 'x', user=alice, chat=None) == 'HI 世界 X'
    assert await services.kv.get(f'plugin:{plugin.id}:last') == 'x'
    assert plugin.context.t('word', 'fr') == 'world' and plugin.context.t('missing') == 'missing'
    assert plugin.context.settings().token == 's3cret'


async def test_a_plugin_creates_and_uses_its_own_tables(services: Services, plugin_root: Path) -> None:
    plugin_id = unique_id()
    source = f'''
from sqlmodel import Field, SQLModel, select
from plugins.sdk import hookimpl


class Note(SQLModel, table=True):
    __tablename__ = 'plg_{plugin_id}_note'
    id: int | None = Field(default=None, primary_key=True)
    text: str


@hookimpl
def register_tables(ctx):
    return [Note]


@hookimpl
async def message_submitted(ctx, text):
    async with ctx.db_session() as session:
        session.add(Note(text=text))
        await session.commit()
        notes = (await session.exec(select(Note))).all()
    return '|'.join(note.text for note in notes)
'''
    plugin = await _load(services, plugin_root, source, plugin_id=plugin_id)
    assert plugin.load_error is None
    await services.plugins.pipe('message_submitted', 'one', chat=None)
    assert await services.plugins.pipe('message_submitted', 'two', chat=None) == 'one|two'


async def test_tables_without_the_plugin_prefix_are_refused(services: Services, plugin_root: Path) -> None:
    plugin_id = unique_id()
    source = f'''
from sqlmodel import Field, SQLModel
from plugins.sdk import hookimpl


class Loose(SQLModel, table=True):
    __tablename__ = 'loose_{plugin_id}'
    id: int | None = Field(default=None, primary_key=True)


@hookimpl
def register_tables(ctx):
    return [Loose]
'''
    plugin = await _load(services, plugin_root, source, plugin_id=plugin_id)
    assert plugin.status == 'failed'
    assert plugin.load_error == f'Its tables must be named plg_{plugin_id}_…; refused: loose_{plugin_id}.'


async def test_the_services_facade_reads_writes_and_generates_as_the_user(services: Services, plugin_root: Path,
                                                                          fake_openai: FakeOpenAI) -> None:
    source = '''
from plugins.sdk import hookimpl

@hookimpl
async def message_submitted(ctx, text, chat, user):
    answer = await ctx.services.generate(user, chat.id, 'Say hi')
    await ctx.services.add_message(user, chat.id, 'system', f'note: {answer}')
    messages = await ctx.services.chat_messages(user, chat.id, limit=5)
    return ' | '.join(f'{message.role}:{message.content}' for message in messages)
'''
    fake_openai.script = Script(tokens=['Hi', ' there'])
    alice = await services.accounts.register('alice', PASSWORD)
    row = await chat_on_fake_openai(services, alice, fake_openai)
    chat = ChatInfo(id=row.id, user_id=alice.id, character_id=row.character_id, character_name='Mira',
                    user_name='alice')
    await _load(services, plugin_root, source)
    result = await services.plugins.pipe('message_submitted', 'x', user=alice, chat=chat)
    assert result == 'assistant:Hello. | system:note: Hi there'
    assert fake_openai.requests[-1]['messages'] == [{'role': 'user', 'content': 'Say hi'}]
    bob = await services.accounts.register('bob', PASSWORD)
    assert await services.plugins.pipe('message_submitted', 'x', user=bob, chat=chat) == 'x'
