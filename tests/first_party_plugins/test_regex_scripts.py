"""The regex scripts plugin: SillyTavern's pattern and replacement rules, the timeout, where scripts run (stored,
display, prompt, depth, character scope), imports of real community cards (read in place) and script files, the
hooks through the harness and a real reply, packaging, the page and the settings slot."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing import User
from regex_scripts import plugin, store
from regex_scripts.engine import Names, ScriptProblem, ScriptTimeout, applies, run_all, run_script, split_js_regex
from regex_scripts.models import ScriptData
from regex_scripts.sillytavern import ImportProblem, from_sillytavern, read_scripts_file, write_scripts_file

from app import runtime
from app.db.models import User as Account
from app.services.card_formats.png_card import write_png_card
from plugins.sdk import MessageInfo, PromptMessage
from plugins.sdk.testing import PluginHarness, plugin_harness
from tests.first_party_plugins.first_party_checks import chat_on_fake_openai, check_packaging
from tests.support.compat import COMPAT_DIR
from tests.support.fake_openai import FakeOpenAI, Script

CARDS = COMPAT_DIR / 'community' / 'cards-json'
LOVE_CARD = CARDS / '爱.json'
FORTUNE_CARD = CARDS / '算命師.json'
HSR_CARD = CARDS / 'Honkai_Star_Rail_RPG.json'
EMPTY_SCRIPTS_PNG = COMPAT_DIR / 'community' / 'cards-png' / '茉莉文集配套正则.png'
NAMES = Names('Mira', 'Alex')
CATASTROPHIC = '/(a|aa)+$/'

Login = Callable[..., Awaitable[Account]]
LoadPlugins = Callable[..., Awaitable[None]]


def script(find: str, replace: str = '', **fields: object) -> ScriptData:
    return ScriptData(name=str(fields.pop('name', 'test')), find_regex=find, replace_string=replace, **fields)


def run(find: str, replace: str, text: str, **fields: object) -> str:
    return run_script(script(find, replace, **fields), text, NAMES, timeout=1.0)


@pytest.mark.parametrize(('source', 'expected'), [
    ('/a\\/b/gi', ('a\\/b', 'gi')),
    ('/a/b/gi', ('a/b', 'gi')),
    ('<StatusPlaceHolderImpl/>', ('<StatusPlaceHolderImpl/>', '')),
    ('/abc', ('/abc', '')),
    ('/abc/gg', ('/abc/gg', '')),
    ('/abc/zq', ('/abc/zq', '')),
    ('/abc/gy', ('/abc/gy', '')),
])
def test_find_patterns_are_split_like_sillytavern_does(source: str, expected: tuple[str, str]) -> None:
    assert split_js_regex(source) == expected


@pytest.mark.parametrize(('find', 'replace', 'text', 'expected'), [
    ('/cat/', 'dog', 'cat cat', 'dog cat'),
    ('/cat/g', 'dog', 'cat cat', 'dog dog'),
    ('/cat/gi', 'dog', 'Cat CAT', 'dog dog'),
    ('<Impl/>', '', 'a<Impl/>b<Impl/>', 'ab<Impl/>'),
    ('/(\\w+)/g', '<$1>', 'hi 你好 yo', '<hi> 你好 <yo>'),
    ('/\\bno\\b/g', 'yes', 'no 中no nope', 'yes 中yes nope'),
    ('/end$/', 'X', 'end\nend', 'end\nX'),
    ('/end$/gm', 'X', 'end\nend', 'X\nX'),
    ('/a.b/', 'X', 'a\nb', 'a\nb'),
    ('/a.b/s', 'X', 'a\nb', 'X'),
    ('/[^]+/', 'X', 'a\nb', 'X'),
    ('/[\\w-]+/g', 'W', 'ab-c 中', 'W 中'),
    ('/(?<word>\\w+) \\k<word>/g', '$<word>', 'the the end', 'the end'),
    ('/\\u{1F600}/u', ':)', 'hi 😀', 'hi :)'),
    ('/<\\/b>/g', '', 'x</b>', 'x'),
    ('/ab/gy', 'X', 'ab /ab/gy', 'ab X'),
])
def test_javascript_patterns_behave_as_in_javascript(find: str, replace: str, text: str, expected: str) -> None:
    assert run(find, replace, text) == expected


@pytest.mark.parametrize(('replace', 'expected'), [
    ('[{{match}}]', '[cat] dog'),
    ('[$0|$1|$2|$9]', '[cat|c|at|] dog'),
    ('$&', '$& dog'),
    ('{{char}} and {{USER}}', 'Mira and Alex dog'),
])
def test_replacements_follow_sillytaverns_rules(replace: str, expected: str) -> None:
    assert run('/(c)(at)/', replace, 'cat dog') == expected


def test_trim_strings_are_removed_from_groups_with_names_filled_in() -> None:
    assert run('/"(.*?)"/g', '«$1»', 'she says "hi Mira!"', trim_strings=['{{char}}', '!']) == 'she says «hi »'


def test_names_in_the_pattern_are_filled_raw_or_escaped() -> None:
    names = Names('Dr. Who (II)', 'Alex')
    raw = script('/{{char}}/g', 'X', substitute_regex=1)
    escaped = script('/{{char}}/g', 'X', substitute_regex=2)
    assert run_script(raw, 'Dr. Who (II) Drx Who II', names, 1.0) == 'Dr. Who (II) X'
    assert run_script(escaped, 'Dr. Who (II) Drx Who II', names, 1.0) == 'X Drx Who II'


@pytest.mark.parametrize(('find', 'code'), [('/a/x', 'bad_flags'), ('/(a/', 'bad_regex')])
def test_unusable_patterns_are_refused(find: str, code: str) -> None:
    with pytest.raises(ScriptProblem) as refused:
        run(find, '', 'a')
    assert refused.value.code == code


def test_a_catastrophic_pattern_times_out_and_the_other_scripts_still_run() -> None:
    slow = script(CATASTROPHIC, 'X', name='slow')
    tidy = script('/b$/', '!', name='tidy')
    with pytest.raises(ScriptTimeout):
        run_script(slow, 'a' * 60 + 'b', NAMES, timeout=0.05)
    assert run_all([slow, tidy], 'a' * 60 + 'b', NAMES, timeout=0.05) == ('a' * 60 + '!', ['slow: timed out'])


def test_where_a_script_runs() -> None:
    stored = script('x', placement=[1, 2])
    display = script('x', placement=[2], markdown_only=True)
    prompt = script('x', placement=[2], prompt_only=True, min_depth=2, max_depth=4)
    both = script('x', placement=[2], markdown_only=True, prompt_only=True)
    off = script('x', placement=[1], disabled=True)
    assert [applies(item, 'stored', 1) for item in (stored, display, prompt, both, off)] == [
        True, False, False, False, False]
    assert [applies(item, 'display', 2) for item in (stored, display, prompt, both)] == [False, True, False, True]
    assert [applies(prompt, 'prompt', 2, depth) for depth in (None, 1, 2, 4, 5)] == [True, False, True, True, False]
    assert not applies(prompt, 'prompt', 1, 3)


def test_the_scripts_of_a_real_card_import_scoped_to_its_character() -> None:
    scripts = read_scripts_file(FORTUNE_CARD.read_bytes(), FORTUNE_CARD.name)
    assert [item.name for item in scripts] == ['系统状态栏', '开场主页', '只发送最新状态栏']
    assert {item.character_name for item in scripts} == {'墨知命'}
    latest_only = scripts[2]
    assert (latest_only.prompt_only, latest_only.markdown_only, latest_only.placement) == (True, False, [2])
    assert (latest_only.min_depth, latest_only.max_depth) == (3, None)
    assert scripts[0].markdown_only and len(scripts[0].replace_string) > 10_000
    hsr = read_scripts_file(HSR_CARD.read_bytes(), HSR_CARD.name)
    assert len(hsr) == 5 and all(item.markdown_only and item.placement == [1, 2] for item in hsr)
    assert all(item.trim_strings == [] for item in hsr)


def test_a_png_card_carries_its_scripts_and_an_empty_one_is_refused() -> None:
    card = json.loads(LOVE_CARD.read_bytes())
    png = write_png_card(None, card, card)
    scripts = read_scripts_file(png, 'love.png')
    assert len(scripts) == 5 and {item.character_name for item in scripts} == {'爱'}
    with pytest.raises(ImportProblem) as refused:
        read_scripts_file(EMPTY_SCRIPTS_PNG.read_bytes(), EMPTY_SCRIPTS_PNG.name)
    assert refused.value.code == 'no_scripts'


def test_script_files_import_old_placements_the_sillytavern_way_and_export_back() -> None:
    single = {'id': 'abc', 'scriptName': 'Old display', 'findRegex': '/x/g', 'replaceString': 'y', 'placement': [0, 2]}
    legacy_send_as = {'scriptName': 'Send as', 'findRegex': 'x', 'placement': [4]}
    (old,) = read_scripts_file(json.dumps(single).encode(), 'one.json')
    assert (old.placement, old.markdown_only, old.prompt_only, old.source_id) == ([2], True, True, 'abc')
    assert from_sillytavern(legacy_send_as).placement == [3]
    both = read_scripts_file(json.dumps([single, legacy_send_as]).encode(), 'two.json')
    assert read_scripts_file(write_scripts_file(both), 'again.json') == both


@pytest.mark.parametrize(('raw', 'code'), [
    (b'not json', 'not_json'),
    (b'{"name": "no scripts"}', 'no_scripts'),
    (b'[]', 'no_scripts'),
    (b'[{"scriptName": "x", "findRegex": ""}]', 'bad_script'),
    (b'[{"scriptName": "x", "findRegex": "a", "placement": [9]}]', 'bad_script'),
])
def test_files_without_usable_scripts_are_refused(raw: bytes, code: str) -> None:
    with pytest.raises(ImportProblem) as refused:
        read_scripts_file(raw, 'file.json')
    assert refused.value.code == code


async def _add(h: PluginHarness, *scripts: ScriptData) -> None:
    await store.add_scripts(h.ctx, h.user.id, list(scripts), limit=200)


async def test_stored_scripts_change_messages_and_replies_at_their_placement() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, script('/\\bu\\b/g', 'you', placement=[1]), script('/\\s*\\(OOC:.*?\\)/gs', '', placement=[2]),
                   script('/{{char}}/g', 'her', placement=[1], substitute_regex=1, markdown_only=True))
        chat = await h.chat('Mira')
        sent = await h.pipe('message_submitted', 'u know Mira? (OOC: hi)', chat=chat)
        reply = await h.pipe('reply_finished', 'I do, u too. (OOC: sure)', chat=chat)
    assert sent == 'you know Mira? (OOC: hi)'
    assert reply == 'I do, u too.'


async def test_card_scripts_run_only_with_their_character_and_only_when_allowed() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, script('/secret/g', '***', placement=[1], character_name='Mira'))
        with_mira, with_bob = await h.chat('Mira'), await h.chat('Bob')
        assert await h.pipe('message_submitted', 'a secret', chat=with_mira) == 'a ***'
        assert await h.pipe('message_submitted', 'a secret', chat=with_bob) == 'a secret'
        await h.services.plugins.write_settings('regex_scripts', 'user', {'character_scripts': False}, h.user)
        assert await h.pipe('message_submitted', 'a secret', chat=with_mira) == 'a secret'


async def test_display_scripts_change_only_the_shown_text_with_the_chats_names() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, script('/\\[HP:(\\d+)\\]/g', '❤ $1 ({{char}})', placement=[2], markdown_only=True))
        chat = await h.chat('Mira')
        message = MessageInfo(id=1, chat_id=chat.id, role='assistant', name='Mira', seq=0)
        await h.pipe('message_submitted', 'hello', chat=chat)
        shown = await h.pipe('render_message', 'Ouch [HP:7]', message=message)
        as_user = await h.pipe('render_message', 'Ouch [HP:7]', message=MessageInfo(2, chat.id, 'user', '', 1))
        stored = await h.pipe('reply_finished', 'Ouch [HP:7]', chat=chat)
    assert shown == 'Ouch ❤ 7 (Mira)'
    assert as_user == stored == 'Ouch [HP:7]'


async def test_display_scripts_with_depth_limits_count_from_the_newest_message() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, script('/!/g', '.', placement=[2], markdown_only=True, max_depth=1))
        chat = await h.chat('Mira')
        for number in range(3):
            await h.ctx.services.add_message(h.user, chat.id, 'assistant', f'Reply {number}!')
        messages = await h.ctx.services.chat_messages(h.user, chat.id)
        shown = [await h.pipe('render_message', item.content,
                              message=MessageInfo(item.id, chat.id, item.role, item.name, item.seq))
                 for item in messages]
    assert shown == ['Hello.', 'Reply 0!', 'Reply 1.', 'Reply 2.']


async def test_the_real_cards_latest_status_only_script_strips_older_status_blocks_from_the_prompt() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, *read_scripts_file(FORTUNE_CARD.read_bytes(), FORTUNE_CARD.name))
        chat = await h.chat('墨知命')
        status = '[SYSTEM_INTERFACE_START]\n命运: {n}\n[SYSTEM_INTERFACE_END]'
        history = [PromptMessage('system', 'You are 墨知命. ' + status.format(n='system'))]
        for number in range(6):
            history.append(PromptMessage('user', f'问题 {number}'))
            history.append(PromptMessage('assistant', f'回答 {number}\n' + status.format(n=number)))
        prompt = await h.pipe('prompt_messages', history, chat=chat)
        elsewhere = await h.pipe('prompt_messages', history, chat=await h.chat('Mira'))
    kept = [message.content for message in prompt if '[SYSTEM_INTERFACE_START]' in message.content]
    assert kept == [history[0].content, history[10].content, history[12].content]
    assert prompt[2].content == '回答 0\n' and prompt[1] == history[1]
    assert elsewhere == history


async def test_a_hanging_pattern_only_skips_that_script() -> None:
    async with plugin_harness(plugin, settings={'timeout_ms': 50}) as h:
        await _add(h, script(CATASTROPHIC, 'X', placement=[1], name='slow'), script('/b$/', '!', placement=[1]))
        chat = await h.chat()
        sent = await h.pipe('message_submitted', 'a' * 60 + 'b', chat=chat)
        errors = await h.errors()
    assert sent == 'a' * 60 + '!'
    assert errors == []


async def test_switching_kinds_off_in_the_user_settings_stops_them() -> None:
    async with plugin_harness(plugin) as h:
        await _add(h, script('/x/g', 'y', placement=[1]), script('/x/g', 'z', placement=[2], markdown_only=True))
        await h.services.plugins.write_settings('regex_scripts', 'user', {'change_messages': False,
                                                                          'change_display': False}, h.user)
        chat = await h.chat()
        sent = await h.pipe('message_submitted', 'x', chat=chat)
        shown = await h.pipe('render_message', 'x', message=MessageInfo(1, chat.id, 'assistant', 'Mira', 0))
    assert (sent, shown) == ('x', 'x')


async def test_a_real_reply_is_stored_as_the_scripts_change_it(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Sure', ' thing', ' <think>hmm</think>', ' friend.'])
    async with plugin_harness(plugin) as h:
        await _add(h, script('/\\s*<think>[\\s\\S]*?<\\/think>/g', '', placement=[2]),
                   script('/pls/gi', 'please', placement=[1]))
        chat = await chat_on_fake_openai(h, fake_openai)
        message, reply_id = await h.services.generation.send(h.user, chat.id, 'Pls help')
        await h.services.generation.wait(chat.id)
        reply = await h.services.chats.message(h.user, reply_id)
    assert message.content == 'please help'
    assert reply.content == 'Sure thing friend.'


async def test_scripts_belong_to_their_user_and_respect_the_limit() -> None:
    async with plugin_harness(plugin) as h:
        bob = await h.new_user('bob')
        (mine,) = await store.add_scripts(h.ctx, h.user.id, [script('a')], limit=2)
        assert await store.save_script(h.ctx, bob.id, mine.id, script('b')) is None
        assert not await store.set_disabled(h.ctx, bob.id, mine.id, True)
        assert not await store.delete_script(h.ctx, bob.id, mine.id)
        with pytest.raises(store.ScriptLimitReached):
            await store.add_scripts(h.ctx, h.user.id, [script('b'), script('c')], limit=2)
        assert await store.set_disabled(h.ctx, h.user.id, mine.id, True)
        (row,) = await store.user_scripts(h.ctx, h.user.id)
        assert row.data().disabled and await store.user_scripts(h.ctx, bob.id) == []


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('regex_scripts')
    assert contents.manifest.contributes.user_settings and 'regex_scripts/engine.py' in contents.files


async def test_the_page_makes_tries_imports_and_deletes_scripts(user: User, login: Login,
                                                                 load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('regex_scripts.plugin')
    ctx = runtime.services().plugins.get('regex_scripts').context
    await user.open('/p/regex_scripts/')
    await user.should_see(marker='rx-empty')
    user.find(marker='rx-new').click()
    await user.should_see(marker='rx-editor')
    user.find(marker='rx-name').type('Shout')
    user.find(marker='rx-find').type('/(\\w+)!/g')
    user.find(marker='rx-replace').type('$1!!!')
    user.find(marker='rx-save').click()
    await user.should_see('Script saved.')
    (row,) = await store.user_scripts(ctx, account.id)
    assert (row.name, row.find_regex, row.replace_string, row.placement) == ('Shout', '/(\\w+)!/g', '$1!!!', [2])
    user.find(marker='rx-try-text').type('hey! you!')
    user.find(marker='rx-try-run').click()
    await user.should_see('hey!!! you!!!')
    (upload,) = user.find(marker='rx-import').elements
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(LOVE_CARD.name, 'application/json',
                                                               LOVE_CARD.read_bytes())])
    await user.should_see('Imported 5 scripts from 爱; they run in chats with 爱.')
    assert len(await store.user_scripts(ctx, account.id)) == 6
    user.find(marker=f'rx-script-{row.id}-delete').click()
    await user.should_see(marker='rx-confirm-delete')
    user.find(marker='rx-confirm-delete').click()
    await user.should_not_see(marker=f'rx-script-{row.id}')
    names = [item.name for item in await store.user_scripts(ctx, account.id)]
    assert names == ['对AI隐藏状态栏', '状态栏界面', '对AI隐藏变量更新', '变量更新中美化', '变量更新美化']


async def test_the_editor_shows_why_a_pattern_is_refused(user: User, login: Login, load_plugins: LoadPlugins) -> None:
    await login('alice')
    await load_plugins('regex_scripts.plugin')
    await user.open('/p/regex_scripts/')
    user.find(marker='rx-new').click()
    await user.should_see(marker='rx-editor')
    user.find(marker='rx-name').type('Broken')
    user.find(marker='rx-find').type('/(open/g')
    user.find(marker='rx-save').click()
    await user.should_see('The pattern is not a valid regular expression: missing ) at position 5')


async def test_the_settings_slot_switches_scripts(user: User, login: Login, load_plugins: LoadPlugins) -> None:
    account = await login('alice')
    await load_plugins('regex_scripts.plugin')
    ctx = runtime.services().plugins.get('regex_scripts').context
    (row,) = await store.add_scripts(ctx, account.id, [script('x', name='Tidy')], limit=10)
    await user.open('/plugins')
    await user.should_see('Your regex scripts (1)')
    user.find(marker=f'rx-settings-{row.id}').elements.pop().set_value(False)
    await user.should_see('Saved.')
    (stored,) = await store.user_scripts(ctx, account.id)
    assert stored.disabled
