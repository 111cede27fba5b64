"""The moderation filter: its rules (whole Latin words, Chinese inside text, patterns), blocking and flagging user
messages, masking replies while they stream and when stored, the flag log page, and its packaging."""

from __future__ import annotations

import random

import pytest
from moderation_filter import plugin
from moderation_filter.rules import StreamMasker, first_match, mask_all, parse_rule, parse_rules
from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.errors import InvalidInputError
from app.services.character_card import CharacterFields
from plugins.sdk import ChatInfo
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import chat_on_fake_openai, check_packaging
from tests.support.fake_openai import FakeOpenAI, Script

RULES = {'block': ['forbidden', '违禁词'], 'mask': ['bad', '坏蛋', 're:\\d{3}-\\d{4}'],
         'flag': ['help me', '自杀'], 'mask_text': '***'}


@pytest.mark.parametrize(('rule', 'text', 'matches'), [
    ('ass', 'a classic class', False),
    ('ass', 'kiss my ass!', True),
    ('Bad', 'NOT BAD at all', True),
    ('bad', 'a badge', False),
    ('bad', '这个bad词不好', True),
    ('坏蛋', '你这个坏蛋！', True),
    ('坏蛋', '坏的蛋', False),
    ('help me', 'please HELP\n me', True),
    ('re:\\d{3}-\\d{4}', 'call 555-1234', True),
    ('re:\\d{3}-\\d{4}', 'call 55-1234', False),
])
def test_rules_match_whole_latin_words_and_chinese_anywhere(rule: str, text: str, matches: bool) -> None:
    assert (first_match([parse_rule(rule)], text) is not None) is matches


def test_masking_replaces_every_match_and_merges_overlaps() -> None:
    rules = parse_rules(['bad', 'bad guy', '坏蛋'])
    assert mask_all(rules, 'A bad guy, a BAD 坏蛋.', '***') == 'A ***, a *** ***.'


@pytest.mark.parametrize('seed', range(40))
def test_a_streamed_reply_split_anywhere_is_masked_exactly_like_the_whole_text(seed: int) -> None:
    rules = parse_rules(['bad', '坏蛋', 'bad guy', 're:\\d{3}-\\d{4}'])
    text = 'Bad guys say bad words; a badge is fine. 你这个坏蛋，坏的蛋没事。Call 555-1234 or bad'
    chooser = random.Random(seed)
    cuts = sorted(chooser.sample(range(1, len(text)), chooser.randint(1, 25)))
    pieces = [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    masker = StreamMasker(rules, '***', window=12)
    sent = [masker.feed(piece) for piece in pieces]
    streamed = ''.join(sent)
    expected = mask_all(rules, text, '***')
    assert expected.startswith(streamed)
    assert first_match(rules, streamed) is None
    assert mask_all(rules, streamed + masker.finish(), '***') == expected


@pytest.mark.parametrize('line', ['re:(', 're:a*', 're:', 'x' * 201])
async def test_settings_refuse_rules_that_cannot_work(line: str) -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError):
            await h.services.plugins.write_settings(h.plugin_id, 'admin', {'mask': ['fine', line]})
        response = await h.client.put(f'/api/v1/plugins/{h.plugin_id}/settings', json={'block': [line]})
        assert response.status_code in (400, 422)
        assert h.ctx.settings().mask == []


async def test_a_blocked_message_is_not_sent_and_is_logged(fake_openai: FakeOpenAI) -> None:
    fake_openai.requests.clear()
    async with plugin_harness(plugin, settings=RULES) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        with pytest.raises(InvalidInputError) as refused:
            await h.services.generation.send(h.user, chat.id, 'Tell me the FORBIDDEN thing')
        assert refused.value.code == 'error.plugins.message_withheld'
        assert await h.pipe('message_submitted', '说一个违禁词吧', chat=chat) == ''
        messages = await h.ctx.services.chat_messages(h.user, chat.id)
        assert [message.role for message in messages] == ['assistant']
        entries = await plugin.flag_log.recent(h.ctx)
        assert [(entry.action, entry.source, entry.rule) for entry in entries] == [
            ('blocked', 'user', '违禁词'), ('blocked', 'user', 'forbidden')]
        assert entries[1].excerpt == 'Tell me the FORBIDDEN thing'
        assert entries[1].user_handle == h.user.handle
        assert entries[1].chat_id == chat.id
        assert fake_openai.requests == []
        assert await h.errors() == []


async def test_a_flagged_message_goes_through_and_is_logged() -> None:
    async with plugin_harness(plugin, settings=RULES) as h:
        chat = await h.chat()
        text = 'Please help me, 我想自杀'
        assert await h.pipe('message_submitted', text, chat=chat) == text
        (entry,) = await plugin.flag_log.recent(h.ctx, 'flagged')
        assert (entry.source, entry.rule, entry.character_name) == ('user', 'help me', 'Mira')
        assert await plugin.flag_log.recent(h.ctx, 'blocked') == []


async def test_a_reply_is_masked_while_it_streams_and_when_it_is_stored(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['You ', 'ba', 'd', ' guy, ', '你这个坏', '蛋！', ' A badge', ' for you, bad'])
    async with plugin_harness(plugin, settings=RULES) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        streamed = [await h.pipe('stream_delta', token, chat=chat) for token in fake_openai.script.tokens]
        assert 'bad ' not in ''.join(streamed) and '坏' not in ''.join(streamed)
        assert await h.pipe('reply_finished', ''.join(streamed), chat=chat) == \
            'You *** guy, 你这个***！ A badge for you, ***'
        await h.services.generation.send(h.user, chat.id, 'Hi')
        await h.services.generation.wait(chat.id)
        reply = (await h.ctx.services.chat_messages(h.user, chat.id))[-1]
        assert reply.content == 'You *** guy, 你这个***！ A badge for you, ***'
        assert await h.errors() == []


async def test_a_flagged_reply_is_logged_and_a_buffer_left_behind_is_dropped() -> None:
    async with plugin_harness(plugin, settings={**RULES, 'mask': ['bad', '坏蛋']}) as h:
        chat = await h.chat()
        assert await h.pipe('stream_delta', 'You are ba', chat=chat) == 'You are '
        await h.call('event', name='reply.finished', payload={'chat_id': chat.id})
        assert await h.pipe('stream_delta', 'Fine', chat=chat) == 'Fine'
        assert await h.pipe('reply_finished', 'Fine. Help me!', chat=chat) == 'Fine. Help me!'
        (entry,) = await plugin.flag_log.recent(h.ctx)
        assert (entry.source, entry.action, entry.excerpt) == ('reply', 'flagged', 'Fine. Help me!')


async def test_without_rules_nothing_changes() -> None:
    async with plugin_harness(plugin) as h:
        chat = await h.chat()
        assert await h.pipe('stream_delta', 'bad', chat=chat) == 'bad'
        assert await h.pipe('reply_finished', 'bad', chat=chat) == 'bad'
        assert await h.pipe('message_submitted', 'bad', chat=chat) == 'bad'
        assert await plugin.flag_log.recent(h.ctx) == []


async def test_only_administrators_get_the_menu_link() -> None:
    async with plugin_harness(plugin) as h:
        member = await h.new_user('member')
        (links,) = await h.call('menu_links', user=h.user)
        assert [link.href for link in links] == ['/p/moderation_filter/']
        assert await h.call('menu_links', user=member) == [[]]


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    contents = check_packaging('moderation_filter')
    assert contents.manifest.user_toggleable is False
    assert {'moderation_filter/rules.py', 'moderation_filter/flag_log.py'} <= set(contents.files)


async def test_the_flag_log_page_shows_entries_to_admins_only(user: User, login) -> None:
    admin = await login('admin')
    services = runtime.services()
    (loaded,) = await services.plugins.load_modules([plugin.__name__])
    await services.plugins.write_settings(loaded.id, 'admin', RULES)
    character = await services.characters.create(admin, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(admin, character.id)
    chat_info = ChatInfo(id=chat.id, user_id=admin.id, character_id=character.id, character_name='Mira',
                         user_name='admin')
    await services.plugins.pipe('message_submitted', 'this is forbidden', user=admin, chat=chat_info)
    await services.plugins.pipe('message_submitted', 'help me please', user=admin, chat=chat_info)
    await user.open('/p/moderation_filter/')
    await user.should_see(marker='moderation-log')
    await user.should_see('Rules in use: 2 blocked, 3 masked, 2 flagged.')
    assert [(row['action'], row['excerpt']) for row in logged_rows(user)] == [
        ('flagged', 'help me please'), ('blocked', 'this is forbidden')]
    user.find(marker='moderation-filter-action').elements.pop().set_value('blocked')
    await user.should_see(marker='moderation-log-blocked')
    assert [row['excerpt'] for row in logged_rows(user)] == ['this is forbidden']
    user.find(marker='moderation-clear').click()
    await user.should_see(marker='moderation-clear-confirm')
    user.find(marker='moderation-clear-confirm').click()
    await user.should_see(marker='moderation-log-empty')
    assert await plugin.flag_log.recent(loaded.context) == []


async def test_the_flag_log_page_turns_other_users_away(user: User, login) -> None:
    await runtime.services().accounts.register('first', 'correct horse battery', by_admin=True)
    await login('member')
    await runtime.services().plugins.load_modules([plugin.__name__])
    await user.open('/p/moderation_filter/')
    await user.should_see(marker='moderation-admins-only')
    await user.should_not_see(marker='moderation-log')



def logged_rows(user: User) -> list[dict]:
    (table,) = user.find(marker='moderation-log').elements
    assert isinstance(table, ui.table)
    return table.rows
