"""The quick replies plugin: SillyTavern Quick Reply import (the real legacy preset, read in place, and the v2
shape), export, the per-user store, name macros, packaging, the management page and the chat toolbar."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing import User
from quick_replies import plugin, store
from quick_replies.models import QuickReply, SetData
from quick_replies.sillytavern import ImportProblem, read_set_file, write_set_file

from app import runtime
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.connections import ConnectionFields
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging
from tests.support.compat import COMPAT_DIR
from tests.support.fake_openai import FakeOpenAI, Script

DEFAULT_PRESET = COMPAT_DIR / 'sillytavern' / 'presets' / 'quick-replies' / 'Default.json'
V2_SET = {'version': 2, 'name': 'Combat', 'disableSend': True, 'placeBeforeInput': False, 'injectInput': False,
          'qrList': [{'id': 1, 'label': 'Attack', 'title': 'Swing the sword', 'message': '*{{user}} attacks {{char}}*',
                      'isHidden': False, 'executeOnUser': False},
                     {'id': 2, 'label': '', 'title': 'Defend', 'message': 'I raise my shield.'},
                     {'id': 3, 'label': '', 'title': '', 'message': 'Run away!\nFast.'},
                     {'id': 4, 'label': 'Secret', 'message': '/echo hidden', 'isHidden': True},
                     {'id': 5, 'label': 'Empty', 'message': '   '}],
          'idIndex': 5}

Login = Callable[..., Awaitable[Account]]
LoadPlugins = Callable[..., Awaitable[None]]


def test_the_legacy_sillytavern_default_preset_imports_its_three_slots() -> None:
    data = read_set_file(DEFAULT_PRESET.read_bytes(), DEFAULT_PRESET.name)
    assert data.name == 'Default' and not data.insert_only
    assert [(reply.label, reply.message) for reply in data.replies] == [
        ('HELP', '/?'), ('New Chat', '/newchat'), ('Match UI to Background', '/bgcol')]


def test_a_v2_set_keeps_visible_replies_and_insert_only() -> None:
    data = read_set_file(json.dumps(V2_SET).encode(), 'combat.json')
    assert (data.name, data.insert_only) == ('Combat', True)
    assert [(reply.label, reply.message, reply.title) for reply in data.replies] == [
        ('Attack', '*{{user}} attacks {{char}}*', 'Swing the sword'),
        ('Defend', 'I raise my shield.', 'Defend'),
        ('Run away!', 'Run away!\nFast.', '')]


def test_a_set_without_a_name_is_named_after_its_file_and_disabled_legacy_slots_are_left_out() -> None:
    raw = json.dumps({'quickReplySlots': [{'mes': 'Hi', 'label': 'Greet', 'enabled': True},
                                          {'mes': 'Bye', 'label': 'Leave', 'enabled': False}]}).encode()
    data = read_set_file(raw, 'my set.json')
    assert data.name == 'my set' and [reply.label for reply in data.replies] == ['Greet']


@pytest.mark.parametrize(('raw', 'code'), [
    (b'\x89PNG not json', 'not_json'),
    (b'[1, 2]', 'not_a_set'),
    (b'{"name": "x", "entries": []}', 'not_a_set'),
    (b'{"qrList": [{"label": "a", "message": ""}]}', 'empty'),
    (json.dumps({'qrList': [{'label': 'long', 'message': 'x' * 10_001}]}).encode(), 'invalid'),
])
def test_files_that_are_not_quick_reply_sets_are_refused(raw: bytes, code: str) -> None:
    with pytest.raises(ImportProblem) as refused:
        read_set_file(raw, 'file.json')
    assert refused.value.code == code and refused.value.params['file'] == 'file.json'


def test_an_exported_set_reads_back_the_same_and_is_a_v2_file() -> None:
    data = read_set_file(json.dumps(V2_SET).encode(), 'combat.json')
    exported = write_set_file(data)
    document = json.loads(exported)
    assert document['version'] == 2 and document['disableSend'] is True
    assert [item['label'] for item in document['qrList']] == ['Attack', 'Defend', 'Run away!']
    assert read_set_file(exported, 'again.json') == data


async def test_sets_belong_to_their_user() -> None:
    async with plugin_harness(plugin) as h:
        ctx = h.ctx
        bob = await h.new_user('bob')
        first = await store.add_set(ctx, h.user.id, SetData(name='One', replies=[QuickReply(label='a', message='A')]))
        second = await store.add_set(ctx, h.user.id, SetData(name='Two', enabled=False))
        await store.add_set(ctx, bob.id, SetData(name='Bobs'))
        assert [row.name for row in await store.user_sets(ctx, h.user.id)] == ['One', 'Two']
        assert [row.name for row in await store.user_sets(ctx, h.user.id, enabled_only=True)] == ['One']
        assert await store.save_set(ctx, bob.id, first.id, SetData(name='Stolen')) is None
        assert not await store.delete_set(ctx, bob.id, first.id)
        changed = await store.save_set(ctx, h.user.id, first.id, SetData(name='Renamed', insert_only=True))
        assert changed is not None and (changed.name, changed.insert_only, changed.replies) == ('Renamed', True, [])
        assert await store.delete_set(ctx, h.user.id, second.id)
        assert [row.name for row in await store.user_sets(ctx, h.user.id)] == ['Renamed']
        assert [row.name for row in await store.user_sets(ctx, bob.id)] == ['Bobs']


async def test_a_user_can_keep_at_most_fifty_sets() -> None:
    async with plugin_harness(plugin) as h:
        for number in range(50):
            await store.add_set(h.ctx, h.user.id, SetData(name=f'Set {number}'))
        with pytest.raises(store.SetLimitReached):
            await store.add_set(h.ctx, h.user.id, SetData(name='One too many'))


async def test_name_macros_are_filled_when_a_message_is_sent() -> None:
    async with plugin_harness(plugin) as h:
        chat = await h.chat('Mira')
        filled = await h.pipe('message_submitted', '*{{user}} bows to {{Char}}*', chat=chat)
        plain = await h.pipe('message_submitted', 'Nothing to fill', chat=chat)
    assert filled == '*tester bows to Mira*'
    assert plain == 'Nothing to fill'


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('quick_replies')
    assert contents.manifest.contributes.pages == ['/']
    assert 'quick_replies/models.py' in contents.files


async def _chat(account: Account) -> str:
    services = runtime.services()
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes='Hello.'))
    return (await services.chats.start(account, character.id)).id


async def test_the_page_imports_edits_and_deletes_sets(user: User, login: Login, load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('quick_replies.plugin')
    await user.open('/p/quick_replies/')
    await user.should_see(marker='qr-empty')
    (upload,) = user.find(marker='qr-import').elements
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('Default.json', 'application/json',
                                                               DEFAULT_PRESET.read_bytes())])
    await user.should_see('Imported "Default" with 3 replies.')
    (row,) = await store.user_sets(runtime.services().plugins.get('quick_replies').context, account.id)
    mark = f'qr-set-{row.id}'
    await user.should_see(marker=f'{mark}-label-2')
    user.find(marker=f'{mark}-name').clear().type('Commands')
    user.find(marker=f'{mark}-remove-0').click()
    user.find(marker=f'{mark}-save').click()
    await user.should_see('Quick replies saved.')
    (saved,) = await store.user_sets(runtime.services().plugins.get('quick_replies').context, account.id)
    assert saved.name == 'Commands' and [reply['label'] for reply in saved.replies] == ['New Chat',
                                                                                       'Match UI to Background']
    user.find(marker=f'{mark}-delete').click()
    await user.should_see(marker='qr-confirm-delete')
    user.find(marker='qr-confirm-delete').click()
    await user.should_see(marker='qr-empty')


async def test_a_bad_file_shows_why_it_was_not_imported(user: User, login: Login, load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await runtime.services().accounts.update_preferences(account.id, locale='zh-CN')
    await load_plugins('quick_replies.plugin')
    await user.open('/p/quick_replies/')
    (upload,) = user.find(marker='qr-import').elements
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('notes.json', 'application/json', b'{"a": 1}')])
    await user.should_see('notes.json 不是 SillyTavern 快速回复文件（既没有 qrList 也没有 quickReplySlots）。')


async def test_a_toolbar_reply_is_sent_with_the_names_filled_in(user: User, login: Login, load_plugins: LoadPlugins,
                                                                fake_openai: FakeOpenAI) -> None:
    account = await login('alice')
    await load_plugins('quick_replies.plugin')
    services = runtime.services()
    await services.connections.create(account, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                                base_url=fake_openai.base_url, is_default=True))
    fake_openai.script = Script(tokens=['Mira', ' waves', ' back.'])
    ctx = services.plugins.get('quick_replies').context
    greetings = await store.add_set(ctx, account.id, SetData(name='Greetings', replies=[
        QuickReply(label='Wave', message='*{{user}} waves at {{char}}*')]))
    chat_id = await _chat(account)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker=f'qr-toolbar-set-{greetings.id}')
    user.find(marker=f'qr-reply-{greetings.id}-0').click()
    await user.should_see('Mira waves back.', retries=50)
    contents = [message.content for message in (await services.chats.messages(account, chat_id)).items]
    assert contents == ['Hello.', '*alice waves at Mira*', 'Mira waves back.']


async def test_an_insert_only_reply_is_put_in_the_input_unsent(user: User, login: Login,
                                                               load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('quick_replies.plugin')
    services = runtime.services()
    notes = await store.add_set(services.plugins.get('quick_replies').context, account.id, SetData(
        name='Notes', insert_only=True, replies=[QuickReply(label='OOC', message='(OOC: please keep it short)')]))
    chat_id = await _chat(account)
    await user.open(f'/chat/{chat_id}')
    user.find(marker=f'qr-reply-{notes.id}-0').click()
    (box,) = user.find(marker='chat-input').elements
    for _ in range(50):  # the click handler runs as a task
        if box.value:
            break
        await asyncio.sleep(0.02)
    assert box.value == '(OOC: please keep it short)'
    assert len((await services.chats.messages(account, chat_id)).items) == 1


async def test_without_sets_the_toolbar_leads_to_the_page(user: User, login: Login, load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('quick_replies.plugin')
    await user.open(f'/chat/{await _chat(account)}')
    user.find(marker='qr-toolbar-manage').click()
    await user.should_see(marker='qr-empty')


async def test_the_plugins_page_counts_the_sets_and_leads_to_them(user: User, login: Login,
                                                                 load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('quick_replies.plugin')
    await store.add_set(runtime.services().plugins.get('quick_replies').context, account.id, SetData(name='One'))
    await user.open('/plugins')
    await user.should_see('Your quick reply sets: 1')
    user.find(marker='qr-settings-manage').click()
    await user.should_see(marker='qr-sets')
