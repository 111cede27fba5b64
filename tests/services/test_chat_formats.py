"""Chat files from other apps (Chub, CAI Tools, oobabooga, Agnai, KoboldAI Lite, RisuAI) imported like SillyTavern
chats, refused clearly when they are not chats, and exported as SillyTavern JSONL.

The fixtures follow the shapes those apps write (their exporters and SillyTavern's importers were read to learn them).
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from app.db.models import Character, Chat, Message, User
from app.errors import InvalidInputError, PayloadTooLargeError
from app.services.character_card import CharacterFields
from app.services.chat_files import ChatFileLimits, ChatImportService
from app.services.container import Services

PASSWORD = 'correct horse battery'

CHUB_HEADER = {'user_name': 'You', 'character_name': 'Ayaka', 'create_date': '2024-09-18@21h03m11s',
               'chat_metadata': {'note_prompt': '季節は春。'}}
CHUB_MESSAGES = [
    {'name': 'Ayaka', 'is_user': False, 'send_date': 'September 18, 2024 9:03pm',
     'mes': {'message': '*綾華は扇子を閉じる。* ようこそ、旅人さん。'},
     'swipes': [{'message': '*綾華は扇子を閉じる。* ようこそ、旅人さん。'}, {'message': 'あら、お客様ですね。'}],
     'swipe_id': 0},
    {'name': 'You', 'is_user': True, 'send_date': 'September 18, 2024 9:04pm', 'mes': {'message': 'こんにちは！'}},
    {'name': 'Ayaka', 'is_user': False, 'send_date': 'September 18, 2024 9:05pm',
     'mes': {'message': '桜を見に行きましょう。'}, 'swipes': ['お茶はいかが？', {'message': '桜を見に行きましょう。'}],
     'swipe_id': 1},
]

CAI_TOOLS = {
    'info': {'character': {'external_id': 'Ch4r-3xt', 'name': 'Raiden Shogun', 'title': 'Eternity',
                           'greeting': 'I am the Shogun.'}},
    'histories': {'histories': [
        {'external_id': 'h-001', 'created': '2023-03-02T18:20:11.532Z', 'last_interaction': '2023-03-02T19:00:00Z',
         'msgs': [
             {'id': 1, 'uuid': 'a1', 'text': '我是雷电将军。', 'is_alternative': False,
              'src': {'name': 'Raiden Shogun', 'is_human': False, 'user': {'username': 'internal_id:7'}},
              'tgt': {'name': 'Alex', 'is_human': True}},
             {'id': 2, 'uuid': 'a2', 'text': 'こんにちは、将軍様。', 'is_alternative': False,
              'src': {'name': 'Alex', 'is_human': True, 'user': {'username': 'alex'}},
              'tgt': {'name': 'Raiden Shogun', 'is_human': False}},
             {'id': 3, 'uuid': 'a3', 'text': '永遠こそが私の道。', 'is_alternative': False,
              'src': {'name': 'Raiden Shogun', 'is_human': False}, 'tgt': {'name': 'Alex', 'is_human': True}}]},
        {'external_id': 'h-002', 'created': '2023-03-05T09:00:00Z', 'msgs': [
            {'text': 'Welcome back.', 'src': {'name': 'Raiden Shogun', 'is_human': False}},
            {'text': 'Thanks ☺', 'src': {'name': 'Alex', 'is_human': True}}]},
        {'external_id': 'h-003', 'created': '2023-03-06T09:00:00Z', 'msgs': []},
    ]},
}

OOBA_OLD = {
    'data': [['<|BEGIN-VISIBLE-CHAT|>', "Hi! I'm Chiharu."],
             ['Tell me about "Kyoto" & tea', 'Nice to meet you, <USER>! 抹茶 <3 is the best.']],
    'data_visible': [['', 'Hi! I&#x27;m Chiharu.'],
                     ['Tell me about &quot;Kyoto&quot; &amp; tea', 'Nice to meet you, Alex! 抹茶 &lt;3 is the best.']],
}
OOBA_NEW = {
    'internal': [['<|BEGIN-VISIBLE-CHAT|>', 'Привет! Я Чихару.'], ['Hi', 'Second try']],
    'visible': [['', 'Привет! Я Чихару.'], ['Hi', 'Second try']],
    'metadata': {
        'assistant_0': {'timestamp': 'Mar 01, 2025 12:00'},
        'user_1': {'timestamp': 'Mar 01, 2025 12:01'},
        'assistant_1': {'timestamp': 'Mar 01, 2025 12:02', 'model_name': 'Qwen2.5-7B', 'current_version_index': 1,
                        'versions': [{'content': 'First try', 'visible_content': 'First try',
                                      'timestamp': 'Mar 01, 2025 12:02'},
                                     {'content': 'Second try', 'visible_content': 'Second try',
                                      'timestamp': 'Mar 01, 2025 12:03'}]},
    },
}

AGNAI = {
    'name': 'Exported', 'greeting': 'Bonjour ! Je suis Élodie.', 'sampleChat': '', 'scenario': 'Un café à Lyon.',
    'treeLeafId': 'd4e5f6a7',
    'messages': [
        {'_id': 'a1b2c3d4', 'createdAt': '2024-02-11T08:15:00.000Z', 'msg': 'Bonjour ! Je suis Élodie.',
         'characterId': 'imported', 'handle': 'Élodie', 'name': 'Élodie', 'state': None},
        {'_id': 'b2c3d4e5', 'createdAt': '2024-02-11T08:16:30.000Z', 'msg': 'Salut Élodie, ça va ?',
         'userId': 'u-42', 'handle': 'You', 'name': 'You', 'parent': 'a1b2c3d4'},
        {'_id': 'c3d4e5f6', 'createdAt': '2024-02-11T08:17:00.000Z', 'msg': '(brb, café)', 'userId': 'u-42',
         'ooc': True, 'handle': 'You', 'parent': 'b2c3d4e5'},
        {'_id': 'd4e5f6a7', 'createdAt': '2024-02-11T08:18:00.000Z', 'msg': 'Très bien, merci ! ☕',
         'characterId': 'imported', 'handle': 'Élodie', 'name': 'Élodie', 'parent': 'c3d4e5f6'},
    ],
}

KOBOLD_INSTRUCT = {
    'gamestarted': True, 'prompt': '\n{{[OUTPUT]}}\nEmily: Heyo! 你好呀, long time no see.',
    'memory': '{{[INPUT]}}\n[Character: Emily; species: Human]\n{{[OUTPUT]}}\n',
    'authorsnote': 'Emily is sleepy.', 'anotetemplate': "[Author's note: <|>]",
    'actions': ['\n{{[INPUT]}}\nAlex: Hi Emily! How was Shanghai?\n{{[OUTPUT]}}\n',
                'Emily: It was amazing — 小笼包 everywhere!', ' I ate so much.[<|h|9f86d081|h|>]',
                '\n{{[INPUT]}}\nAlex: Sounds great.\n{{[OUTPUT]}}\n', 'Emily: Want to come next time?'],
    'actions_metadata': {'0': {'Selected Text': '', 'Alternative Text': []}},
    'worldinfo': [], 'wifolders_d': {}, 'wifolders_l': [],
    'savedsettings': {'chatname': 'Alex', 'chatopponent': 'Emily', 'opmode': 4, 'gui_type_instruct': 2,
                      'my_api_key': '0000000000'},
}
KOBOLD_CHAT = {
    'prompt': '\nBob: Welcome to the reunion!\nAlice: 好久不见!', 'memory': '', 'authorsnote': '',
    'actions': ['\nAlex: Hey everyone', '\nMike: Alex! You made it.\nI saved you a seat.'],
    'savedsettings': {'chatname': 'Alex', 'chatopponent': 'Bob||$||Alice||$||Mike', 'opmode': 3},
}


def risu_chat(name: str, *messages: dict[str, Any], note: str = '') -> dict[str, Any]:
    return {'id': f'id-{name}', 'name': name, 'note': note, 'localLore': [], 'fmIndex': -1, 'message': list(messages)}


RISU_MESSAGES = (
    {'role': 'user', 'data': '안녕, 미나!', 'time': 1718342700000, 'chatId': 'm1'},
    {'role': 'char', 'data': '안녕하세요! 오늘 뭐 할까요?', 'time': 1718342760000, 'chatId': 'm2', 'saying': 'c-1',
     'generationInfo': {'model': 'claude-3-5-sonnet', 'inputTokens': 812, 'outputTokens': 40}},
    {'role': 'char', 'data': '*바람이 분다.*', 'time': 1718342800000, 'chatId': 'm3', 'name': 'Narrator'},
)
RISU = {'type': 'risuChat', 'ver': 2, 'data': risu_chat('Chat 1', *RISU_MESSAGES, note='한국어로 대답해.'),
        'folders': []}
RISU_ALL = {'type': 'risuAllChats', 'ver': 2, 'data': [
    risu_chat('첫 만남', *RISU_MESSAGES[:2]), risu_chat('Second date', {'role': 'user', 'data': 'Again?'})]}


def json_bytes(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def jsonl_bytes(*objects: object) -> bytes:
    return '\n'.join(json.dumps(item, ensure_ascii=False) for item in objects).encode()


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD, display_name='Alex')


async def _character(services: Services, owner: User, name: str) -> Character:
    return await services.characters.create(owner, CharacterFields(name=name, first_mes='Hello.'))


async def _rows(services: Services, owner: User, chat: Chat) -> list[Message]:
    return (await services.chats.messages(owner, chat.id, limit=200)).items


def _shape(rows: list[Message]) -> list[tuple[str, str, str]]:
    return [(row.role, row.name, row.content) for row in rows]


async def _refused(services: Services, owner: User, data: bytes, filename: str, code: str) -> InvalidInputError:
    character = await _character(services, owner, 'Anyone')
    with pytest.raises(InvalidInputError) as refused:
        await services.chat_import.import_file(owner, data, filename, character.id)
    assert refused.value.code == code, refused.value.message
    assert await services.chats.list_chats(owner) == []
    return refused.value


async def test_a_chub_chat_is_flattened_and_remembers_its_format(services: Services, alice: User) -> None:
    ayaka = await _character(services, alice, 'Ayaka')
    (chat,) = await services.chat_import.import_file(alice, jsonl_bytes(CHUB_HEADER, *CHUB_MESSAGES), 'chub.jsonl')
    assert chat.character_id == ayaka.id and chat.meta['source']['format'] == 'chub'
    assert chat.meta['chat_metadata'] == {'note_prompt': '季節は春。'}
    rows = await _rows(services, alice, chat)
    greeting = '*綾華は扇子を閉じる。* ようこそ、旅人さん。'
    assert [(row.content, row.swipes, row.swipe_index) for row in rows] == [
        (greeting, [greeting, 'あら、お客様ですね。'], 0),
        ('こんにちは！', ['こんにちは！'], 0),
        ('桜を見に行きましょう。', ['お茶はいかが？', '桜を見に行きましょう。'], 1)]
    exported = (await services.chat_export.export(alice, chat.id, 'jsonl')).content.decode().split('\n')
    lines = [json.loads(line) for line in exported]
    assert lines[0] == CHUB_HEADER
    assert [line['mes'] for line in lines[1:]] == [row.content for row in rows]
    assert lines[1]['swipes'] == rows[0].swipes and 'message' not in json.dumps(lines)


async def test_a_sillytavern_chat_still_records_sillytavern(services: Services, alice: User) -> None:
    await _character(services, alice, 'Ayaka')
    plain = [{**item, 'mes': 'text', 'swipes': ['text']} for item in CHUB_MESSAGES]
    (chat,) = await services.chat_import.import_file(alice, jsonl_bytes(CHUB_HEADER, *plain), 'st.jsonl')
    assert chat.meta['source']['format'] == 'sillytavern'


async def test_cai_tools_histories_become_one_chat_each(services: Services, alice: User) -> None:
    raiden = await _character(services, alice, 'raiden shogun')
    chats = await services.chat_import.import_file(alice, json_bytes(CAI_TOOLS), 'Raiden_Shogun.json')
    assert [(chat.title, chat.message_count, chat.character_id) for chat in chats] == [
        ('Raiden_Shogun (1)', 3, raiden.id), ('Raiden_Shogun (2)', 2, raiden.id)]
    assert chats[0].created_at == datetime(2023, 3, 2, 18, 20, 11, 532000, tzinfo=UTC)
    assert {chat.meta['source']['format'] for chat in chats} == {'cai_tools'}
    assert _shape(await _rows(services, alice, chats[0])) == [
        ('assistant', 'Raiden Shogun', '我是雷电将军。'), ('user', '', 'こんにちは、将軍様。'),
        ('assistant', 'Raiden Shogun', '永遠こそが私の道。')]
    assert _shape(await _rows(services, alice, chats[1]))[1] == ('user', '', 'Thanks ☺')


async def test_oobabooga_prefers_the_visible_history_and_unescapes_it(services: Services, alice: User) -> None:
    character = await _character(services, alice, 'Chiharu')
    (chat,) = await services.chat_import.import_file(alice, json_bytes(OOBA_OLD), 'Chiharu.json', character.id)
    assert chat.meta['source']['format'] == 'oobabooga' and chat.title == 'Chiharu'
    assert _shape(await _rows(services, alice, chat)) == [
        ('assistant', '', "Hi! I'm Chiharu."), ('user', '', 'Tell me about "Kyoto" & tea'),
        ('assistant', '', 'Nice to meet you, Alex! 抹茶 <3 is the best.')]


async def test_oobabooga_timestamps_and_regenerated_versions(services: Services, alice: User) -> None:
    character = await _character(services, alice, 'Chiharu')
    (chat,) = await services.chat_import.import_file(alice, json_bytes(OOBA_NEW), '20250301-12-00-00.json',
                                                     character.id)
    rows = await _rows(services, alice, chat)
    assert [(row.role, row.content, row.swipes, row.swipe_index) for row in rows] == [
        ('assistant', 'Привет! Я Чихару.', ['Привет! Я Чихару.'], 0), ('user', 'Hi', ['Hi'], 0),
        ('assistant', 'Second try', ['First try', 'Second try'], 1)]
    assert [row.created_at.isoformat() for row in rows] == [
        '2025-03-01T12:00:00+00:00', '2025-03-01T12:01:00+00:00', '2025-03-01T12:02:00+00:00']
    assert chat.created_at == rows[0].created_at


async def test_agnai_users_characters_and_out_of_character_notes(services: Services, alice: User) -> None:
    elodie = await _character(services, alice, 'Élodie')
    (chat,) = await services.chat_import.import_file(alice, json_bytes(AGNAI), 'chat-8f3a.json')
    assert chat.character_id == elodie.id and chat.meta['source'] == {
        'format': 'agnai', 'filename': 'chat-8f3a.json', 'group': False}
    rows = await _rows(services, alice, chat)
    assert _shape(rows) == [('assistant', 'Élodie', 'Bonjour ! Je suis Élodie.'),
                            ('user', '', 'Salut Élodie, ça va ?'), ('system', 'You', '(brb, café)'),
                            ('assistant', 'Élodie', 'Très bien, merci ! ☕')]
    assert rows[1].created_at.isoformat() == '2024-02-11T08:16:30+00:00'


async def test_kobold_lite_instruct_save_with_continued_replies(services: Services, alice: User) -> None:
    emily = await _character(services, alice, 'Emily')
    (chat,) = await services.chat_import.import_file(alice, json_bytes(KOBOLD_INSTRUCT), 'saved_story.json')
    assert chat.character_id == emily.id and chat.meta['source']['format'] == 'kobold_lite'
    assert chat.meta['chat_metadata'] == {'note_prompt': 'Emily is sleepy.'}
    assert _shape(await _rows(services, alice, chat)) == [
        ('assistant', 'Emily', 'Heyo! 你好呀, long time no see.'), ('user', '', 'Hi Emily! How was Shanghai?'),
        ('assistant', 'Emily', 'It was amazing — 小笼包 everywhere! I ate so much.'), ('user', '', 'Sounds great.'),
        ('assistant', 'Emily', 'Want to come next time?')]


async def test_kobold_lite_chat_mode_group_lines(services: Services, alice: User) -> None:
    bob = await _character(services, alice, 'Bob')
    (chat,) = await services.chat_import.import_file(alice, json_bytes(KOBOLD_CHAT), 'reunion.json')
    assert chat.character_id == bob.id and chat.meta['source']['group'] is True
    assert _shape(await _rows(services, alice, chat)) == [
        ('assistant', 'Bob', 'Welcome to the reunion!'), ('assistant', 'Alice', '好久不见!'),
        ('user', '', 'Hey everyone'), ('assistant', 'Mike', 'Alex! You made it.\nI saved you a seat.')]


async def test_risuai_chat_needs_a_character_and_keeps_times_names_and_note(services: Services,
                                                                           alice: User) -> None:
    mina = await _character(services, alice, 'Mina')
    with pytest.raises(InvalidInputError) as unnamed:
        await services.chat_import.import_file(alice, json_bytes(RISU), 'Mina_2024-06-14_chat.json')
    assert unnamed.value.code == 'error.chat_format.choose_character' and 'RisuAI' in unnamed.value.message
    (chat,) = await services.chat_import.import_file(alice, json_bytes(RISU), 'Mina_2024-06-14_chat.json', mina.id)
    assert (chat.title, chat.meta['source']['format']) == ('Mina_2024-06-14_chat', 'risuai')
    assert chat.meta['chat_metadata'] == {'note_prompt': '한국어로 대답해.'}
    rows = await _rows(services, alice, chat)
    assert _shape(rows) == [('user', '', '안녕, 미나!'), ('assistant', '', '안녕하세요! 오늘 뭐 할까요?'),
                            ('assistant', 'Narrator', '*바람이 분다.*')]
    assert rows[0].created_at.isoformat() == '2024-06-14T05:25:00+00:00' == chat.created_at.isoformat()


async def test_risuai_all_chats_export_becomes_titled_chats(services: Services, alice: User) -> None:
    mina = await _character(services, alice, 'Mina')
    chats = await services.chat_import.import_file(alice, json_bytes(RISU_ALL), 'Mina_all.json', mina.id)
    assert [(chat.title, chat.message_count) for chat in chats] == [('첫 만남', 2), ('Second date', 1)]


@pytest.mark.parametrize(('document', 'filename'), [(CAI_TOOLS, 'cai.json'), (OOBA_NEW, 'ooba.json'),
                                                     (AGNAI, 'agnai.json'), (KOBOLD_INSTRUCT, 'kobold.json'),
                                                     (RISU, 'risu.json')])
async def test_imported_chats_export_as_sillytavern_jsonl_that_imports_again(
        services: Services, alice: User, document: dict[str, Any], filename: str) -> None:
    character = await _character(services, alice, 'Host')
    first = (await services.chat_import.import_file(alice, json_bytes(document), filename, character.id))[0]
    exported = await services.chat_export.export(alice, first.id, 'jsonl')
    header, *lines = [json.loads(line) for line in exported.content.decode().split('\n')]
    assert header['character_name'] == 'Host' and header['chat_metadata'] == first.meta['chat_metadata']
    again = await services.chat_import.import_jsonl(alice, exported.content, exported.filename, character.id)
    before, after = await _rows(services, alice, first), await _rows(services, alice, again)
    assert [(r.role, r.content, r.swipes, r.swipe_index, _minute(r.created_at)) for r in before] == \
        [(r.role, r.content, r.swipes, r.swipe_index, r.created_at) for r in after]
    assert [line['name'] for line in lines] == [row.name or ('Alex' if row.role == 'user' else 'Host')
                                                for row in before]


def _minute(moment: datetime) -> datetime:
    """SillyTavern's message dates have minutes, no seconds."""
    return moment.replace(second=0, microsecond=0)


async def test_a_single_sillytavern_line_or_a_renamed_jsonl_imports_from_json(services: Services,
                                                                              alice: User) -> None:
    character = await _character(services, alice, 'Mira')
    line = {'name': 'Mira', 'is_user': False, 'mes': 'Hi there'}
    (single,) = await services.chat_import.import_file(alice, json_bytes(line), 'one.json', character.id)
    (renamed,) = await services.chat_import.import_file(alice, jsonl_bytes(line, line), 'two.json', character.id)
    (unnamed,) = await services.chat_import.import_file(alice, jsonl_bytes(line, line), '', character.id)
    assert [(chat.message_count, chat.meta['source']['format']) for chat in (single, renamed, unnamed)] == \
        [(1, 'sillytavern'), (2, 'sillytavern'), (2, 'sillytavern')]


@pytest.mark.parametrize(('data', 'filename', 'code', 'words'), [
    (json_bytes({'conversation': [{'role': 'user', 'content': 'hi'}]}), 'other.json', 'error.chat_format.unknown',
     'Accepted: SillyTavern and Chub chats (.jsonl), and CAI Tools, oobabooga, Agnai, KoboldAI Lite and RisuAI'),
    (json_bytes({'messages': [{'role': 'user', 'content': 'hi'}]}), 'openai.json', 'error.chat_format.unknown',
     'not a chat this app can import'),
    (json_bytes([{'mes': 'hi'}]), 'list.json', 'error.chat_format.unknown', 'not a chat'),
    (json_bytes(AGNAI)[:-40], 'cut.json', 'error.chat_format.bad_json', 'not valid JSON'),
    (b'', 'empty.json', 'error.chat_file.empty', 'empty'),
    (json_bytes({'histories': {'histories': [{'msgs': [{'text': 'hi', 'src': {'is_human': True}},
                                                       {'text': ['no']}]}]}}),
     'cai.json', 'error.chat_format.bad_message', 'Message 2 of this CAI Tools chat'),
    (json_bytes({'histories': {'histories': [{'msgs': []}]}}), 'cai.json', 'error.chat_format.no_messages',
     'This CAI Tools chat holds no messages.'),
    (json_bytes({'data_visible': [['hi', 'hello'], ['only one']]}), 'ooba.json', 'error.chat_format.bad_message',
     'Message 3 of this oobabooga chat'),
    (json_bytes({'type': 'risuChat', 'data': {'message': [{'role': 'bot', 'data': 'x'}]}}), 'risu.json',
     'error.chat_format.bad_message', 'Message 1 of this RisuAI chat'),
    (json_bytes({'messages': [{'msg': 'hi', 'userId': 'u'}, {'msg': 7}]}), 'agnai.json',
     'error.chat_format.bad_message', 'Message 2 of this Agnai chat'),
    (b'{"savedsettings": {}, "prompt": NaN}', 'kobold.json', 'error.chat_format.bad_json', 'not valid JSON'),
])
async def test_files_that_are_not_readable_chats_are_refused_and_store_nothing(
        services: Services, alice: User, data: bytes, filename: str, code: str, words: str) -> None:
    refused = await _refused(services, alice, data, filename, code)
    assert words in refused.message


async def test_limits_apply_to_json_chats(services: Services, alice: User) -> None:
    character = await _character(services, alice, 'Chiharu')
    small = ChatImportService(services.db, ChatFileLimits(max_bytes=400, max_lines=3, max_line_chars=20))
    with pytest.raises(PayloadTooLargeError):
        await small.import_file(alice, json_bytes(AGNAI), 'agnai.json', character.id)
    pairs = {'visible': [['a', 'b'], ['c', 'd']]}
    with pytest.raises(InvalidInputError) as too_many:
        await small.import_file(alice, json_bytes(pairs), 'ooba.json', character.id)
    assert too_many.value.code == 'error.chat_format.too_many_messages' and too_many.value.params == {'limit': 3}
    with pytest.raises(InvalidInputError) as too_long:
        await small.import_file(alice, json_bytes({'visible': [['a', 'b' * 21]]}), 'ooba.json', character.id)
    assert too_long.value.code == 'error.chat_format.message_too_long' and too_long.value.params['number'] == 2
    (chat,) = await small.import_file(alice, json_bytes({'visible': [['a', 'b' * 20]]}), 'ooba.json', character.id)
    assert chat.message_count == 2
