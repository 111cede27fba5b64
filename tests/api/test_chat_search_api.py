"""REST: search across all chats, bulk export (zip) and delete, branch trees, bookmarks and checkpoints."""

import io
import json
import zipfile
from collections.abc import Awaitable, Callable

import httpx

Login = Callable[..., Awaitable[dict[str, str]]]


async def _character(client: httpx.AsyncClient, headers: dict[str, str], name: str = '李白') -> str:
    response = await client.post('/api/v1/characters', headers=headers, json={'name': name, 'first_mes': '你好。'})
    assert response.status_code == 201
    return response.json()['id']


async def _import(client: httpx.AsyncClient, headers: dict[str, str], character_id: str, title: str,
                  *texts: str) -> dict:
    """Import a SillyTavern chat titled `title` whose messages alternate user / character."""
    header = {'user_name': 'User', 'character_name': '李白', 'create_date': '2024-01-01@10h00m00s',
              'chat_metadata': {}}
    messages = [{'name': 'User' if index % 2 == 0 else '李白', 'is_user': index % 2 == 0, 'mes': text,
                 'send_date': 'January 1, 2024 10:00am', 'extra': {}} for index, text in enumerate(texts)]
    data = '\n'.join(json.dumps(item, ensure_ascii=False) for item in (header, *messages)).encode()
    response = await client.post('/api/v1/chats/import', headers=headers, data={'character_id': character_id},
                                 files={'file': (f'{title}.jsonl', data, 'application/jsonl')})
    assert response.status_code == 201, response.text
    return response.json()


async def test_search_finds_chinese_text_newest_first_in_pages(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    character_id = await _character(client, headers)
    older = await _import(client, headers, character_id, '登高', '明天去长城吗？', '好，长城见。', '晚安')
    newer = await _import(client, headers, character_id, '夜思', '床前明月光', '我也想去长城')
    await _import(client, headers, character_id, '无关', '今天下雨')
    response = await client.get('/api/v1/chats/search', headers=headers, params={'q': '长城', 'limit': 1})
    assert response.status_code == 200, response.text
    first = response.json()
    assert [item['chat_id'] for item in first['items']] == [newer['id']]
    hit = first['items'][0]['hits'][0]
    assert (hit['seq'], hit['name'], hit['snippet']) == (1, '李白', {'before': '我也想去', 'match': '长城',
                                                                   'after': ''})
    second = (await client.get('/api/v1/chats/search', headers=headers,
                               params={'q': '长城', 'limit': 1, 'cursor': first['next_cursor']})).json()
    assert [item['chat_id'] for item in second['items']] == [older['id']] and second['next_cursor'] is None
    assert second['items'][0]['match_count'] == 2
    assert [h['seq'] for h in second['items'][0]['hits']] == [1, 0]
    literal = await client.get('/api/v1/chats/search', headers=headers, params={'q': '长%'})
    assert literal.json()['items'] == []


async def test_search_refuses_bad_input(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    assert (await client.get('/api/v1/chats/search', headers=headers, params={'q': ''})).status_code == 422
    assert (await client.get('/api/v1/chats/search', headers=headers, params={'q': 'x', 'limit': 0})).status_code \
        == 422
    blank = await client.get('/api/v1/chats/search', headers=headers, params={'q': '   '})
    assert blank.status_code == 422 and blank.json()['code'] == 'error.chat_search.empty'
    cursor = await client.get('/api/v1/chats/search', headers={**headers, 'Accept-Language': 'zh-CN'},
                              params={'q': 'x', 'cursor': '!!'})
    assert cursor.json() == {'code': 'error.chat_search.bad_cursor', 'detail': '此分页链接已失效，请重新搜索。'}


async def test_bulk_export_and_delete_only_touch_the_callers_chats(client: httpx.AsyncClient,
                                                                   login: Login) -> None:
    alice = await login('alice')
    character_id = await _character(client, alice)
    first = await _import(client, alice, character_id, '第一', '长城')
    second = await _import(client, alice, character_id, '第二', '黄河', '长江')
    bob = await login('bob')
    client.cookies.clear()
    assert (await client.get('/api/v1/chats/search', headers=bob, params={'q': '长城'})).json()['items'] == []
    ids = {'chat_ids': [first['id'], second['id']]}
    assert (await client.post('/api/v1/chats/export', headers=bob, json=ids)).status_code == 404
    assert (await client.post('/api/v1/chats/delete', headers=bob, json=ids)).status_code == 404

    exported = await client.post('/api/v1/chats/export', headers=alice, json=ids)
    assert exported.status_code == 200 and exported.headers['content-type'] == 'application/zip'
    assert exported.headers['content-disposition'].startswith('attachment; filename="chats-')
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert archive.namelist() == ['第一.jsonl', '第二.jsonl']
    lines = archive.read('第二.jsonl').decode().split('\n')
    assert [json.loads(line)['mes'] for line in lines[1:]] == ['黄河', '长江']

    assert (await client.post('/api/v1/chats/delete', headers=alice, json={'chat_ids': []})).status_code == 422
    deleted = await client.post('/api/v1/chats/delete', headers=alice, json=ids)
    assert deleted.json() == {'deleted': 2}
    assert (await client.get('/api/v1/chats', headers=alice)).json() == []


async def test_tree_bookmarks_and_checkpoints(client: httpx.AsyncClient, login: Login) -> None:
    headers = await login()
    character_id = await _character(client, headers)
    chat = await _import(client, headers, character_id, '主线', '一', '二', '三')
    branch = (await client.post(f'/api/v1/chats/{chat["id"]}/branch', headers=headers, json={'up_to_seq': 0})).json()
    checkpoint = await client.post(f'/api/v1/chats/{chat["id"]}/checkpoints', headers=headers,
                                   json={'seq': 1, 'name': '存档一'})
    assert checkpoint.status_code == 201 and checkpoint.json()['message_count'] == 2
    taken = await client.post(f'/api/v1/chats/{chat["id"]}/checkpoints', headers=headers,
                              json={'seq': 1, 'name': '存档一'})
    assert taken.status_code == 409 and taken.json()['code'] == 'error.checkpoint.name_taken'

    tree = (await client.get(f'/api/v1/chats/{branch["id"]}/tree', headers=headers)).json()
    assert tree['id'] == chat['id'] and tree['branch_seq'] is None
    assert [(node['id'], node['branch_seq']) for node in tree['children']] == \
        [(branch['id'], 0), (checkpoint.json()['id'], 1)]

    items = (await client.get(f'/api/v1/chats/{chat["id"]}/messages', headers=headers)).json()['items']
    marked = await client.put(f'/api/v1/chats/{chat["id"]}/messages/{items[2]["id"]}/bookmark', headers=headers,
                              json={'label': '转折'})
    assert marked.status_code == 200 and marked.json()['meta']['bookmark'] == {'label': '转折'}
    marks = (await client.get(f'/api/v1/chats/{chat["id"]}/marks', headers=headers)).json()
    assert [(m['kind'], m['seq'], m['label'], m['checkpoint_id']) for m in marks] == \
        [('checkpoint', 1, '存档一', checkpoint.json()['id']), ('bookmark', 2, '转折', None)]
    other = (await client.get(f'/api/v1/chats/{branch["id"]}/messages', headers=headers)).json()['items'][0]
    wrong_chat = await client.put(f'/api/v1/chats/{chat["id"]}/messages/{other["id"]}/bookmark', headers=headers,
                                  json={})
    assert wrong_chat.status_code == 404
    removed = await client.delete(f'/api/v1/chats/{chat["id"]}/messages/{items[2]["id"]}/bookmark',
                                  headers=headers)
    assert removed.status_code == 204
    assert [m['kind'] for m in (await client.get(f'/api/v1/chats/{chat["id"]}/marks', headers=headers)).json()] \
        == ['checkpoint']
