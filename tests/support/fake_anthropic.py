"""A small Anthropic Messages API server (the documented `/v1/messages` SSE events and `/v1/models` pages) for tests.

It stands in for the real API, which tests cannot reach. Each test scripts it: the tokens to stream, a delay per
token, the stop reason, an HTTP error, an `error` event or invalid JSON mid-stream, or a connection dropped
mid-stream. It records the request bodies, headers and query strings it received and counts client disconnects.
Like the real API, it refuses a body with a field the Messages API does not define (a sampler Claude lacks).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .fake_server import serving

OVERLOADED = {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}
MESSAGES_FIELDS = frozenset({'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream',
                             'temperature', 'top_k', 'top_p', 'tools', 'tool_choice', 'thinking', 'service_tier',
                             'container', 'mcp_servers', 'context_management'})


@dataclass
class Script:
    tokens: list[str] = field(default_factory=lambda: ['Hello', ' there', '!'])
    delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    error_after: int | None = None
    malformed_after: int | None = None
    stop_reason: str = 'end_turn'
    input_tokens: int = 11


@dataclass
class FakeAnthropic:
    base_url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    disconnects: int = 0
    models: list[dict[str, Any]] = field(default_factory=lambda: [
        {'type': 'model', 'id': 'claude-sonnet-4-5', 'display_name': 'Claude Sonnet 4.5',
         'created_at': '2025-09-29T00:00:00Z'},
        {'type': 'model', 'id': 'claude-haiku-4-5', 'display_name': 'Claude Haiku 4.5',
         'created_at': '2025-10-01T00:00:00Z'},
        {'type': 'model', 'id': 'claude-opus-4-1', 'display_name': 'Claude Opus 4.1',
         'created_at': '2025-08-05T00:00:00Z'},
    ])
    page_size: int = 2

    def reset(self) -> None:
        self.script = Script()
        self.requests.clear()
        self.headers.clear()
        self.queries.clear()
        self.disconnects = 0


def _app(fake: FakeAnthropic) -> Starlette:
    async def messages(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        fake.headers.append(dict(request.headers))
        script = fake.script
        if script.status >= 400:
            return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)
        unknown = sorted(set(body) - MESSAGES_FIELDS)
        if unknown:
            message = f'{unknown[0]}: Extra inputs are not permitted'
            return JSONResponse({'type': 'error', 'error': {'type': 'invalid_request_error', 'message': message}},
                                status_code=400)
        return StreamingResponse(_counting_disconnects(fake, _events(script, body['model'])),
                                 media_type='text/event-stream')

    async def models(request: Request) -> Response:
        fake.headers.append(dict(request.headers))
        fake.queries.append(dict(request.query_params))
        if fake.script.status >= 400:
            return JSONResponse(fake.script.error_body, status_code=fake.script.status, headers=fake.script.headers)
        return JSONResponse(_models_page(fake, request.query_params.get('after_id'),
                                         int(request.query_params.get('limit', 20))))

    return Starlette(routes=[Route('/v1/messages', messages, methods=['POST']), Route('/v1/models', models)])


def _models_page(fake: FakeAnthropic, after_id: str | None, limit: int) -> dict[str, Any]:
    """One page as documented: `data`, `has_more`, `first_id`, `last_id`; the server caps the page size."""
    ids = [model['id'] for model in fake.models]
    start = ids.index(after_id) + 1 if after_id else 0
    page = fake.models[start:start + min(limit, fake.page_size)]
    return {'data': page, 'has_more': start + len(page) < len(ids),
            'first_id': page[0]['id'] if page else None, 'last_id': page[-1]['id'] if page else None}


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f'event: {name}\ndata: {json.dumps(data)}\n\n'.encode()


async def _events(script: Script, model: str) -> AsyncIterator[bytes]:
    start = {'id': 'msg_1', 'type': 'message', 'role': 'assistant', 'content': [], 'model': model,
             'stop_reason': None, 'stop_sequence': None,
             'usage': {'input_tokens': script.input_tokens, 'output_tokens': 1}}
    yield _event('message_start', {'type': 'message_start', 'message': start})
    yield _event('content_block_start', {'type': 'content_block_start', 'index': 0,
                                         'content_block': {'type': 'text', 'text': ''}})
    yield _event('ping', {'type': 'ping'})
    for index, token in enumerate(script.tokens):
        if index == script.drop_after:
            return
        if index == script.error_after:
            yield _event('error', OVERLOADED)
            return
        if index == script.malformed_after:
            yield b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": \n\n'
            return
        await asyncio.sleep(script.delay)
        yield _event('content_block_delta', {'type': 'content_block_delta', 'index': 0,
                                             'delta': {'type': 'text_delta', 'text': token}})
    yield _event('content_block_stop', {'type': 'content_block_stop', 'index': 0})
    yield _event('message_delta', {'type': 'message_delta',
                                   'delta': {'stop_reason': script.stop_reason, 'stop_sequence': None},
                                   'usage': {'output_tokens': len(script.tokens)}})
    yield _event('message_stop', {'type': 'message_stop'})


async def _counting_disconnects(fake: FakeAnthropic, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass the events through, counting a client that went away before the stream ended."""
    try:
        async for event in events:
            yield event
    except (asyncio.CancelledError, GeneratorExit):
        fake.disconnects += 1
        raise


@contextmanager
def running_fake_anthropic() -> Iterator[FakeAnthropic]:
    """Serve the fake on a free loopback port for the duration of the block; `base_url` ends in `/v1`."""
    fake = FakeAnthropic(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = f'{root}/v1'
        yield fake
