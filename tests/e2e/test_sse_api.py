"""The SSE endpoint against the live server: a plain HTTP client follows a reply and resumes with Last-Event-ID."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from playwright.sync_api import Page

from tests.support.fake_openai import FakeOpenAI, Script

from .actions import PASSWORD, register

pytestmark = pytest.mark.e2e


def test_a_plain_http_client_follows_a_reply_over_sse_and_resumes(page: Page, live_server_pg_redis: str,
                                                                  fake_openai: FakeOpenAI) -> None:
    base = live_server_pg_redis
    register(page, base, 'alice')
    fake_openai.script = Script(tokens=[f'word{i} ' for i in range(12)], delay=0.05)
    with httpx.Client(base_url=base, timeout=20) as api:
        token = api.post('/api/v1/auth/login', json={'username': 'alice', 'password': PASSWORD}).json()
        api.headers['Authorization'] = f'Bearer {token["access_token"]}'
        api.cookies.clear()
        api.post('/api/v1/connections', json={'name': 'Fake', 'provider': 'openai', 'base_url': fake_openai.base_url,
                                              'model': 'fake-model', 'is_default': True}).raise_for_status()
        character = api.post('/api/v1/characters', json={'name': 'Mira'}).json()
        chat_id = api.post('/api/v1/chats', json={'character_id': character['id']}).json()['id']

        events: list[dict] = []
        listening = threading.Event()
        reader = threading.Thread(target=_read_sse, args=(api, f'/api/chat/stream/{chat_id}', {}, events, listening))
        reader.start()
        assert listening.wait(10)
        reply_id = api.post(f'/api/v1/chats/{chat_id}/messages', json={'content': 'Hello'}).json()['reply_id']
        reader.join(20)

        deltas = [e for e in events if e['event'] == 'message']
        assert ''.join(e['data']['data'] for e in deltas) == ''.join(f'word{i} ' for i in range(12))
        assert {e['data']['messageId'] for e in events} == {reply_id}
        assert events[-1]['event'] == 'complete' and all(e['data']['timestamp'] > 0 for e in events)

        resumed: list[dict] = []
        _read_sse(api, f'/api/chat/stream/{chat_id}', {'Last-Event-ID': deltas[4]['id']}, resumed, threading.Event())
        assert [e['data']['data'] for e in resumed] == [e['data']['data'] for e in events[5:]]

        stored = api.get(f'/api/v1/chats/{chat_id}/messages').json()['items'][-1]
        assert stored['content'] == ''.join(f'word{i} ' for i in range(12)) and stored['status'] == 'complete'


def _read_sse(api: httpx.Client, path: str, headers: dict, events: list[dict], listening: threading.Event) -> None:
    """Collect SSE events until `complete`; sets `listening` once the response headers arrived."""
    with api.stream('GET', path, headers=headers) as response:
        assert response.headers['content-type'].startswith('text/event-stream')
        listening.set()
        event: dict = {}
        for line in response.iter_lines():
            if line.startswith('id: '):
                event['id'] = line[4:]
            elif line.startswith('event: '):
                event['event'] = line[7:]
            elif line.startswith('data: '):
                event['data'] = json.loads(line[6:])
            elif not line and event:
                events.append(event)
                if event.get('event') == 'complete':
                    return
                event = {}
