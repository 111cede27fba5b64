"""REST: `POST /api/v1/chats/import` takes other apps' chat files too and says how many chats a file became."""

from collections.abc import Awaitable, Callable

import httpx

from tests.services.test_chat_formats import CAI_TOOLS, RISU, json_bytes

Login = Callable[..., Awaitable[dict[str, str]]]


async def _character(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    response = await client.post('/api/v1/characters', headers=headers, json={'name': name, 'first_mes': 'Hi.'})
    assert response.status_code == 201
    return response.json()['id']


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], filename: str, data: bytes,
                  character_id: str | None = None) -> httpx.Response:
    form = {'character_id': character_id} if character_id else {}
    return await client.post('/api/v1/chats/import', headers=headers, data=form,
                             files={'file': (filename, data, 'application/json')})


async def test_a_cai_tools_file_with_two_histories_becomes_two_chats(client: httpx.AsyncClient,
                                                                     login: Login) -> None:
    headers = await login()
    character_id = await _character(client, headers, 'Raiden Shogun')
    response = await _upload(client, headers, 'Raiden_Shogun.json', json_bytes(CAI_TOOLS))
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result['source_format'], result['character_id'], result['title']) == \
        ('cai_tools', character_id, 'Raiden_Shogun (1)')
    assert [(chat['title'], chat['message_count']) for chat in result['chats']] == [
        ('Raiden_Shogun (1)', 3), ('Raiden_Shogun (2)', 2)]
    listed = (await client.get(f'/api/v1/chats?character_id={character_id}', headers=headers)).json()
    assert sorted(chat['id'] for chat in listed) == sorted(chat['id'] for chat in result['chats'])
    exported = await client.get(f'/api/v1/chats/{result["id"]}/export?format=txt', headers=headers)
    assert exported.text.startswith('Raiden Shogun: 我是雷电将军。\n\n')


async def test_unnamed_and_unknown_files_are_refused_in_the_callers_language(client: httpx.AsyncClient,
                                                                           login: Login) -> None:
    headers = await login()
    character_id = await _character(client, headers, 'Mina')
    unnamed = await _upload(client, headers, 'Mina_chat.json', json_bytes(RISU))
    assert unnamed.status_code == 422 and unnamed.json()['code'] == 'error.chat_format.choose_character'
    chinese = {**headers, 'Accept-Language': 'zh-CN'}
    unknown = await _upload(client, chinese, 'notes.json', json_bytes({'title': 'not a chat'}), character_id)
    assert unknown.status_code == 422 and unknown.json() == {
        'code': 'error.chat_format.unknown',
        'detail': '无法导入此文件：它不是受支持的聊天记录。支持：SillyTavern 和 Chub 聊天记录（.jsonl），'
                  '以及 CAI Tools、oobabooga、Agnai、KoboldAI Lite 和 RisuAI 聊天记录（.json）。'}
    imported = await _upload(client, headers, 'Mina_chat.json', json_bytes(RISU), character_id)
    assert imported.status_code == 201 and imported.json()['source_format'] == 'risuai'
    assert len(imported.json()['chats']) == 1
