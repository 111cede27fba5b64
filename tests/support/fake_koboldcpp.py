"""A small KoboldCpp server (the native `/api/extra/generate/stream` SSE format, abort, model and context) for tests.

It follows what koboldcpp.py sends: `event: message` + `data: {"token": ..., "finish_reason": ...}` per chunk, a
last event whose finish reason is "stop" or "length", then the connection closes; busy and auth errors come as
`{"detail": {"msg": ..., "type": ...}}`. Each test scripts it: tokens, a delay per token, an HTTP error, an event
that is not JSON, a stream dropped mid-way (cleanly or by breaking the connection), older releases' `"null"` string
for "not finished", or an error event (KoboldCpp sends none today; the adapter still must not show it as text). It
records request bodies and headers, aborts with their genkey, and counts client disconnects.
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
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .fake_server import serving

MODEL = 'koboldcpp/Mistral-Nemo-12B-Q4_K_M'
MAX_CONTEXT = 8192
BUSY_BODY = {'detail': {'msg': 'Server is busy; please try again later.', 'type': 'service_unavailable'}}
UNAUTHORIZED_BODY = {'detail': {'error': 'Unauthorized', 'msg': 'Authentication key is missing or invalid.',
                                'type': 'unauthorized'}}
STREAM_ERROR = 'Generation failed: out of memory'


@dataclass
class Script:
    tokens: list[str] = field(default_factory=lambda: ['Hello', ' there', '!'])
    delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] | str = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    abort: bool = False
    error_after: int | None = None
    malformed_after: int | None = None
    finish_reason: str = 'stop'
    null_as_string: bool = False
    model: str = MODEL
    context_status: int = 200


@dataclass
class FakeKoboldCpp:
    base_url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    aborts: list[str] = field(default_factory=list)
    disconnects: int = 0

    def reset(self) -> None:
        self.script = Script()
        self.requests.clear()
        self.headers.clear()
        self.aborts.clear()
        self.disconnects = 0


def _app(fake: FakeKoboldCpp) -> Starlette:
    async def generate_stream(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        fake.headers.append(dict(request.headers))
        if fake.script.status >= 400:
            return _error(fake.script)
        return StreamingResponse(_events(fake, fake.script), media_type='text/event-stream')

    async def abort(request: Request) -> Response:
        fake.aborts.append((await request.json()).get('genkey', ''))
        return JSONResponse({'success': 'true', 'done': 'true'})

    async def model(request: Request) -> Response:
        fake.headers.append(dict(request.headers))
        if fake.script.status >= 400:
            return _error(fake.script)
        return JSONResponse({'result': fake.script.model})

    async def true_max_context_length(_request: Request) -> Response:
        if fake.script.context_status >= 400:
            return PlainTextResponse('Not Found', status_code=fake.script.context_status)
        return JSONResponse({'value': MAX_CONTEXT})

    return Starlette(routes=[Route('/api/extra/generate/stream', generate_stream, methods=['POST']),
                             Route('/api/extra/abort', abort, methods=['POST']),
                             Route('/api/v1/model', model),
                             Route('/api/extra/true_max_context_length', true_max_context_length)])


def _error(script: Script) -> Response:
    if isinstance(script.error_body, str):
        return PlainTextResponse(script.error_body, status_code=script.status, headers=script.headers)
    return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)


async def _events(fake: FakeKoboldCpp, script: Script) -> AsyncIterator[bytes]:
    not_finished = 'null' if script.null_as_string else None
    try:
        for index, token in enumerate(script.tokens):
            if index == script.drop_after:
                if script.abort:
                    raise RuntimeError('fake KoboldCpp: connection broken on purpose')
                return
            if index == script.error_after:
                yield _event({'detail': {'msg': STREAM_ERROR, 'type': 'server_error'}})
                return
            if index == script.malformed_after:
                yield b'event: message\ndata: {"token": "oops\n\n'
                return
            await asyncio.sleep(script.delay)
            yield _event({'token': token, 'finish_reason': not_finished})
        yield _event({'token': '', 'finish_reason': script.finish_reason})
    except (asyncio.CancelledError, GeneratorExit):
        fake.disconnects += 1
        raise


def _event(payload: dict[str, Any]) -> bytes:
    return f'event: message\ndata: {json.dumps(payload)}\n\n'.encode()


@contextmanager
def running_fake_koboldcpp() -> Iterator[FakeKoboldCpp]:
    """Serve the fake on a free loopback port for the duration of the block; `base_url` is the server root."""
    fake = FakeKoboldCpp(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = root
        yield fake
