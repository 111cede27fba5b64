"""A small OpenAI-compatible server (the documented `/v1/chat/completions` SSE format) for tests.

It stands in for a third-party LLM API we cannot reach. Each test scripts it: the tokens to stream, a delay per
token, an HTTP error, or a connection dropped mid-stream. It records the request bodies it received.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .fake_server import serving


@dataclass
class Script:
    tokens: list[str] = field(default_factory=lambda: ['Hello', ' there', '!'])
    delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None


@dataclass
class FakeOpenAI:
    base_url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    disconnects: int = 0
    model_listings: int = 0


def _app(fake: FakeOpenAI) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        script = fake.script
        if script.status >= 400:
            return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)
        return StreamingResponse(_events(fake, script, body['model']), media_type='text/event-stream')

    async def models(_request: Request) -> Response:
        fake.model_listings += 1
        return JSONResponse({'object': 'list', 'data': [{'id': 'fake-model', 'object': 'model'}]})

    return Starlette(routes=[Route('/v1/chat/completions', chat, methods=['POST']), Route('/v1/models', models)])


async def _events(fake: FakeOpenAI, script: Script, model: str) -> AsyncIterator[bytes]:
    try:
        for index, token in enumerate(script.tokens):
            if script.drop_after is not None and index >= script.drop_after:
                return
            await asyncio.sleep(script.delay)
            chunk = {'id': 'chatcmpl-1', 'object': 'chat.completion.chunk', 'created': int(time.time()),
                     'model': model, 'choices': [{'index': 0, 'delta': {'content': token}, 'finish_reason': None}]}
            yield f'data: {json.dumps(chunk)}\n\n'.encode()
        final = {'id': 'chatcmpl-1', 'object': 'chat.completion.chunk', 'model': model,
                 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]}
        usage = {'id': 'chatcmpl-1', 'object': 'chat.completion.chunk', 'model': model, 'choices': [],
                 'usage': {'prompt_tokens': 11, 'completion_tokens': len(script.tokens), 'total_tokens': 0}}
        yield f'data: {json.dumps(final)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n'.encode()
    except asyncio.CancelledError:
        fake.disconnects += 1
        raise


@contextmanager
def running_fake_openai() -> Iterator[FakeOpenAI]:
    """Serve the fake on a free loopback port for the duration of the block."""
    fake = FakeOpenAI(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = f'{root}/v1'
        yield fake
