"""SillyTavern chat import and export over every community chat file, plus malformed files and native chats."""

import json

import pytest

from app.db.models import Character, Chat, Message, User
from app.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from app.services.character_card import CharacterFields
from app.services.chat_files import ChatFileLimits, ChatImportService
from app.services.chats import NewMessage
from app.services.container import Services
from app.services.name_macros import substitute
from tests.support.compat_chats import CHATS_DIR, COMPAT_CHATS, CompatChat, compat_chat

PASSWORD = 'correct horse battery'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD, display_name='Alex')


async def _character(services: Services, owner: User, name: str = 'Mira') -> Character:
    return await services.characters.create(owner, CharacterFields(name=name, first_mes='Hello, {{user}}.'))


async def _import(services: Services, owner: User, chat: CompatChat) -> Chat:
    """Import a compat chat: by header name where it has one, into a chosen character where it has none."""
    if chat.header:
        await _character(services, owner, chat.character_name or '')
        return await services.chat_import.import_jsonl(owner, chat.data(), chat.filename)
    character = await _character(services, owner, 'Group host')
    return await services.chat_import.import_jsonl(owner, chat.data(), chat.filename, character.id)


async def _rows(services: Services, owner: User, chat_id: str) -> list[Message]:
    return (await services.chats.messages(owner, chat_id, limit=200)).items


async def _nothing_stored(services: Services, owner: User) -> None:
    assert await services.chats.list_chats(owner) == []


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().split('\n')]


def test_every_compat_chat_file_is_covered() -> None:
    assert sorted(path.name for path in CHATS_DIR.glob('*.jsonl')) == sorted(chat.filename for chat in COMPAT_CHATS)


@pytest.mark.parametrize('compat', COMPAT_CHATS, ids=lambda chat: chat.filename[:12])
async def test_each_compat_chat_imports_with_names_roles_swipes_and_metadata(services: Services, alice: User,
                                                                             compat: CompatChat) -> None:
    chat = await _import(services, alice, compat)
    rows = await _rows(services, alice, chat.id)
    originals = compat.message_objects()
    assert chat.message_count == len(rows) == compat.messages == len(originals)
    assert [row.seq for row in rows] == list(range(compat.messages))
    assert [row.name for row in rows] == [item['name'] for item in originals]
    assert [row.content for row in rows] == [item['mes'] for item in originals]
    assert [row.role for row in rows] == [
        'system' if item.get('is_system') else 'user' if item.get('is_user') else 'assistant' for item in originals]
    assert [(row.swipes, row.swipe_index) for row in rows] == [
        (item.get('swipes') or [item['mes']], item.get('swipe_id', 0)) for item in originals]
    assert all(row.meta['sillytavern'].get('extra') == item['extra'] for row, item in zip(rows, originals, strict=True))
    header = compat.objects()[0] if compat.header else {}
    assert chat.meta['chat_metadata'] == header.get('chat_metadata', {})
    assert chat.meta['source']['filename'] == compat.filename


@pytest.mark.parametrize('compat', COMPAT_CHATS, ids=lambda chat: chat.filename[:12])
async def test_round_trip_export_reimport_keeps_everything(services: Services, alice: User,
                                                           compat: CompatChat) -> None:
    chat = await _import(services, alice, compat)
    exported = await services.chat_export.export(alice, chat.id, 'jsonl')
    lines = _lines(exported.content)
    assert lines[1:] == compat.message_objects(), 'an unchanged message exports as the object it was'
    if compat.header:
        assert lines[0] == compat.objects()[0], 'the header is written back verbatim'
    again = await services.chat_import.import_jsonl(alice, exported.content, exported.filename, chat.character_id)
    first, second = await _rows(services, alice, chat.id), await _rows(services, alice, again.id)
    assert [(r.role, r.name, r.content, r.swipes, r.swipe_index, r.meta, r.created_at) for r in first] == \
        [(r.role, r.name, r.content, r.swipes, r.swipe_index, r.meta, r.created_at) for r in second]
    assert again.meta['chat_metadata'] == chat.meta['chat_metadata']
    assert (await services.chat_export.export(alice, again.id, 'jsonl')).content == exported.content


async def test_group_chat_speakers_keep_their_names_and_system_lines(services: Services, alice: User) -> None:
    compat = compat_chat('2024-7-19')
    chat = await _import(services, alice, compat)
    rows = await _rows(services, alice, chat.id)
    assert (rows[0].role, rows[0].name) == ('system', 'SillyTavern System')
    speakers = {row.name for row in rows if row.role == 'assistant'}
    assert speakers == {'Narrator', 'The Host', 'Miraak', 'Dr. Gregory House', 'Vergil', 'Draugr Deathlord', 'Loki',
                        'Shadow Market Proprietor', 'John Milton', 'Wade Wilson'}
    assert chat.meta['source']['group'] is True and 'header' not in chat.meta
    assert rows[1].created_at.isoformat() == '2024-07-19T23:14:00+00:00'


@pytest.mark.parametrize('prefix', ['2024-7-19', 'GPT-4o_Branch'])
async def test_a_headerless_group_chat_needs_a_character(services: Services, alice: User, prefix: str) -> None:
    await _character(services, alice, 'Vergil')
    with pytest.raises(InvalidInputError) as refused:
        await services.chat_import.import_jsonl(alice, compat_chat(prefix).data(), 'group.jsonl')
    assert refused.value.code == 'error.chat_file.choose_character' and 'Choose the character' in refused.value.message
    await _nothing_stored(services, alice)


async def test_crlf_without_trailing_newline_and_swipes(services: Services, alice: User) -> None:
    compat = compat_chat('快穿')
    assert b'\r\n' in compat.data() and not compat.data().endswith(b'\n')
    chat = await _import(services, alice, compat)
    rows = await _rows(services, alice, chat.id)
    swiped = [(row.seq, len(row.swipes), row.swipe_index) for row in rows if len(row.swipes) > 1]
    assert swiped == [(2, 2, 1), (4, 3, 2)]
    assert all(row.content == row.swipes[row.swipe_index] for row in rows)
    assert [row.name for row in rows if row.role == 'user'] == ['常九', '常九']
    assert chat.title == '快穿之满级攻略指南_-_2025-5-5_@07h_27m_50s_847ms_imported'


async def test_user_macro_as_user_name_and_thinking_blocks_are_kept(services: Services, alice: User) -> None:
    compat = compat_chat('卡')
    chat = await _import(services, alice, compat)
    rows = await _rows(services, alice, chat.id)
    assert chat.meta['header']['user_name'] == '{{user}}'
    assert {row.name for row in rows if row.role == 'user'} == {'常九'}
    assert sum('<thinking>' in row.content for row in rows) == 10
    header = _lines((await services.chat_export.export(alice, chat.id, 'jsonl')).content)[0]
    assert (header['user_name'], header['character_name']) == ('{{user}}', '卡')


async def test_bom_blank_lines_and_unix_millisecond_dates(services: Services, alice: User) -> None:
    await _character(services, alice)
    data = ('\ufeff{"user_name":"Alex","character_name":"mira","chat_metadata":{"note_prompt":"rain"}}\n\n'
            '{"name":"Mira","is_user":false,"send_date":1718342700000,"mes":"Hi\u2028there"}\n').encode()
    chat = await services.chat_import.import_jsonl(alice, data, 'C:\\fakepath\\Rainy day.jsonl')
    (row,) = await _rows(services, alice, chat.id)
    assert (chat.title, row.content, row.swipes) == ('Rainy day', 'Hi\u2028there', ['Hi\u2028there'])
    assert row.created_at.isoformat() == '2024-06-14T05:25:00+00:00'
    assert chat.meta['chat_metadata'] == {'note_prompt': 'rain'}


@pytest.mark.parametrize(('data', 'code', 'words'), [
    (b'', 'error.chat_file.empty', 'empty'),
    (b' \n\r\n ', 'error.chat_file.empty', 'empty'),
    (b'{"user_name":"A","character_name":"Mira"}\nnot json at all', 'error.chat_file.bad_line', 'Line 2 '),
    (b'{"user_name":"A","character_name":"Mira"}\n[1, 2]', 'error.chat_file.bad_line', 'Line 2 '),
    (b'{"mes":"ok"}\n{"mes":NaN}', 'error.chat_file.bad_line', 'Line 2 '),
    (b'{"mes":"ok"}\n\n{"name":"Mira","is_user":false}', 'error.chat_file.not_a_message', 'Line 3 '),
    (b'{"mes":"ok"}\n{"mes":["not","text"]}', 'error.chat_file.not_a_message', 'Line 2 '),
    (b'\xff\xfe\x00\xd8', 'error.chat_file.not_text', 'UTF-8'),
    (b'{"mes":"\xe9t\xe9"}', 'error.chat_file.not_text', 'UTF-8'),
])
async def test_malformed_files_are_refused_with_clear_messages_and_nothing_stored(
        services: Services, alice: User, data: bytes, code: str, words: str) -> None:
    character = await _character(services, alice)
    with pytest.raises(InvalidInputError) as refused:
        await services.chat_import.import_jsonl(alice, data, 'broken.jsonl', character.id)
    assert refused.value.code == code and words in refused.value.message
    await _nothing_stored(services, alice)


async def test_a_huge_line_is_refused_by_its_number(services: Services, alice: User) -> None:
    character = await _character(services, alice)
    limits = services.chat_import.limits
    data = b'{"mes":"ok"}\n{"mes":"' + b'x' * limits.max_line_chars + b'"}'
    with pytest.raises(InvalidInputError) as refused:
        await services.chat_import.import_jsonl(alice, data, 'huge.jsonl', character.id)
    assert refused.value.code == 'error.chat_file.line_too_long' and refused.value.params['line'] == 2
    await _nothing_stored(services, alice)


async def test_file_size_and_line_count_limits(services: Services, alice: User) -> None:
    character = await _character(services, alice)
    small = ChatImportService(services.db, ChatFileLimits(max_bytes=100, max_lines=3))
    with pytest.raises(PayloadTooLargeError) as too_large:
        await small.import_jsonl(alice, b'{"mes":"' + b'x' * 200 + b'"}', 'big.jsonl', character.id)
    assert too_large.value.status_code == 413 and too_large.value.params == {'limit': 1}
    with pytest.raises(InvalidInputError) as too_many:
        await small.import_jsonl(alice, b'{"mes":"a"}\n' * 4, 'long.jsonl', character.id)
    assert too_many.value.code == 'error.chat_file.too_many_lines'
    assert (await small.import_jsonl(alice, b'{"mes":"a"}\n' * 3, 'ok.jsonl', character.id)).message_count == 3


async def test_the_character_is_matched_by_name_or_the_import_asks_for_one(services: Services, alice: User) -> None:
    data = b'{"user_name":"A","character_name":"MIRA","chat_metadata":{}}\n{"name":"Mira","mes":"Hi"}'
    with pytest.raises(InvalidInputError) as missing:
        await services.chat_import.import_jsonl(alice, data, 'x.jsonl')
    assert missing.value.code == 'error.chat_file.character_not_found' and missing.value.params == {'name': 'MIRA'}
    mira = await _character(services, alice)
    assert (await services.chat_import.import_jsonl(alice, data, 'x.jsonl')).character_id == mira.id
    await _character(services, alice, 'mira')
    with pytest.raises(InvalidInputError) as ambiguous:
        await services.chat_import.import_jsonl(alice, data, 'x.jsonl')
    assert ambiguous.value.code == 'error.chat_file.character_ambiguous'
    assert (await services.chat_import.import_jsonl(alice, data, 'x.jsonl', mira.id)).character_id == mira.id


async def test_another_users_character_and_chat_are_not_found(services: Services, alice: User) -> None:
    mira = await _character(services, alice)
    chat = await services.chats.start(alice, mira.id)
    bob = await services.accounts.register('bob', PASSWORD)
    with pytest.raises(NotFoundError):
        await services.chat_import.import_jsonl(bob, b'{"mes":"hi"}', 'x.jsonl', mira.id)
    with pytest.raises(NotFoundError):
        await services.chat_export.export(bob, chat.id, 'jsonl')
    assert await services.chats.list_chats(bob) == []


async def test_a_native_chat_exports_for_sillytavern_markdown_and_text(services: Services, alice: User) -> None:
    mira = await services.characters.create(alice, CharacterFields(
        name='Mira', first_mes='Hello, {{user}}.', alternate_greetings=['Welcome back.']))
    chat = await services.chats.start(alice, mira.id)
    await services.chats.rename(alice, chat.id, 'Storm / night: "one"')
    await services.chats.append(alice, chat.id, NewMessage(role='user', content='Hi {{char}}!'))
    exported = await services.chat_export.export(alice, chat.id, 'jsonl')
    assert exported.filename == 'Storm _ night_ _one_.jsonl' and exported.media_type.startswith('application/jsonl')
    header, greeting, reply = _lines(exported.content)
    assert (header['user_name'], header['character_name'], header['chat_metadata']) == ('Alex', 'Mira', {})
    assert (greeting['name'], greeting['is_user'], greeting['is_system'], greeting['mes']) == \
        ('Mira', False, False, 'Hello, {{user}}.')
    assert (greeting['swipes'], greeting['swipe_id'], len(greeting['swipe_info'])) == \
        (['Hello, {{user}}.', 'Welcome back.'], 0, 2)
    assert (reply['name'], reply['is_user'], reply['mes'], 'swipes' in reply) == ('Alex', True, 'Hi {{char}}!', False)
    markdown = (await services.chat_export.export(alice, chat.id, 'md')).content.decode()
    assert markdown.startswith('# Storm / night: "one"\n') and '**Alex** · ' in markdown and 'Hi Mira!' in markdown
    text = (await services.chat_export.export(alice, chat.id, 'txt')).content.decode()
    assert text == 'Mira: Hello, Alex.\n\nAlex: Hi Mira!\n\n'
    again = await services.chat_import.import_jsonl(alice, exported.content, exported.filename)
    assert [(m.role, m.name, m.content, m.swipes) for m in await _rows(services, alice, again.id)] == [
        ('assistant', 'Mira', 'Hello, {{user}}.', ['Hello, {{user}}.', 'Welcome back.']),
        ('user', 'Alex', 'Hi {{char}}!', ['Hi {{char}}!'])]


async def test_edits_and_new_swipes_on_an_imported_chat_win_on_export(services: Services, alice: User) -> None:
    compat = compat_chat('Claude')
    chat = await _import(services, alice, compat)
    rows = await _rows(services, alice, chat.id)
    reply = next(row for row in rows if row.role == 'assistant')
    await services.chats.add_swipe(alice, reply.id, 'A second answer.')
    await services.chats.edit(alice, rows[0].id, 'Edited hello.')
    lines = _lines((await services.chat_export.export(alice, chat.id, 'jsonl')).content)
    exported = lines[1 + reply.seq]
    assert (exported['swipes'][-1], exported['swipe_id'], exported['mes']) == ('A second answer.', 1,
                                                                               'A second answer.')
    assert len(exported['swipe_info']) == 2 and exported['extra'] == compat.message_objects()[reply.seq]['extra']
    assert lines[1]['mes'] == 'Edited hello.'


async def test_system_messages_are_left_out_of_text_exports(services: Services, alice: User) -> None:
    compat = compat_chat('Dr._Ilya')
    chat = await _import(services, alice, compat)
    text = (await services.chat_export.export(alice, chat.id, 'txt')).content.decode()
    shown = [item for item in compat.message_objects() if not item.get('is_system')]
    assert len(shown) == 9
    assert text == ''.join(f'{item["name"]}: {substitute(item["mes"], "Dr. Ilya Sutskever", "Alex")}\n\n'
                           for item in shown)
