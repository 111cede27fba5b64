"""Chat management in a real browser: search a Chinese phrase on the Chats page and land on that old message of a
long chat, export two selected chats as a zip, then branch a chat and see the family tree beside it."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from .actions import register

pytestmark = pytest.mark.e2e
TARGET = '我们明天去长城看日出吧'


def _import(page: Page, base: str, character_id: str, title: str, texts: list[str]) -> dict:
    """Import a SillyTavern chat with these messages (alternating user and character) through the REST API."""
    header = {'user_name': 'User', 'character_name': '李白', 'create_date': '2024-01-01@10h00m00s',
              'chat_metadata': {}}
    messages = [{'name': 'User' if index % 2 == 0 else '李白', 'is_user': index % 2 == 0, 'mes': text,
                 'send_date': 'January 1, 2024 10:00am', 'extra': {}} for index, text in enumerate(texts)]
    data = '\n'.join(json.dumps(item, ensure_ascii=False) for item in (header, *messages)).encode()
    response = page.request.post(f'{base}/api/v1/chats/import', multipart={
        'character_id': character_id,
        'file': {'name': f'{title}.jsonl', 'mimeType': 'application/jsonl', 'buffer': data}})
    assert response.status == 201, response.text()
    return response.json()


def test_search_open_at_the_message_export_and_branch_tree(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    character = page.request.post(f'{base}/api/v1/characters', data={'name': '李白', 'first_mes': '你好。'}).json()
    long_chat = _import(page, base, character['id'], '长城之约',
                        ['你好', '你好呀', TARGET, '好啊', *[f'第 {n} 句闲聊' for n in range(60)]])
    short_chat = _import(page, base, character['id'], '夜思', ['床前明月光', '疑是地上霜'])

    page.goto(f'{base}/chats')
    expect(page.get_by_role('link', name='长城之约')).to_be_visible()
    expect(page.get_by_role('link', name='夜思')).to_be_visible()
    search = page.get_by_placeholder('Search the messages of all chats')
    search.fill('长城')
    search.press('Enter')
    hit = page.get_by_role('link', name=re.compile(TARGET))
    expect(hit.locator('mark')).to_have_text('长城')
    expect(page.get_by_role('link', name='夜思')).to_have_count(0)
    hit.click()
    expect(page).to_have_url(re.compile(rf'/chat/{long_chat["id"]}\?message=\d+$'))
    expect(page.get_by_text(TARGET, exact=True)).to_be_in_viewport()

    page.goto(f'{base}/chats')
    checkboxes = page.get_by_role('checkbox', name='Select this chat')
    expect(checkboxes).to_have_count(2)
    checkboxes.nth(0).click()
    checkboxes.nth(1).click()
    expect(page.get_by_text('2 selected')).to_be_visible()
    with page.expect_download() as started:
        page.get_by_role('button', name='Export selected (.zip)').click()
    archive = zipfile.ZipFile(io.BytesIO(started.value.path().read_bytes()))
    assert sorted(archive.namelist()) == ['夜思.jsonl', '长城之约.jsonl']
    short_lines = [json.loads(line) for line in archive.read('夜思.jsonl').decode().split('\n')]
    assert [line['mes'] for line in short_lines[1:]] == ['床前明月光', '疑是地上霜']
    assert len(archive.read('长城之约.jsonl').decode().split('\n')) == long_chat['message_count'] + 1

    page.goto(f'{base}/chat/{short_chat["id"]}')
    page.locator('.q-card', has_text='床前明月光').get_by_role('button', name='Branch: new chat up to here').click()
    expect(page).not_to_have_url(re.compile(short_chat['id']))
    expect(page.get_by_text('疑是地上霜')).to_have_count(0)
    page.get_by_role('button', name='Chats').click()
    tree = page.get_by_role('navigation', name='Branches')
    expect(tree.get_by_role('link', name='夜思', exact=True)).to_be_visible()
    expect(tree.locator('[aria-current=page]')).to_have_text('夜思 (branch)')
    expect(tree.get_by_text('from #1')).to_be_visible()
    tree.get_by_role('link', name='夜思', exact=True).click()
    expect(page).to_have_url(f'{base}/chat/{short_chat["id"]}')
    expect(page.get_by_text('疑是地上霜')).to_be_visible()
