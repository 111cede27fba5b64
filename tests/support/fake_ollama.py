"""A small Ollama server (the documented native `/api/chat` NDJSON stream and `/api/tags`) for tests.

It stands in for an Ollama install we cannot rely on in tests. Each test scripts it: the tokens to stream, a delay
per token, an HTTP error, an error line, a line that is not JSON, or a stream dropped mid-way (cleanly or by
breaking the connection). It records the request bodies and headers it received and counts client disconnects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .fake_server import serving

PROMPT_EVAL_COUNT = 11
STREAM_ERROR = 'an error was encountered while running the model: unexpected EOF'


@dataclass
class Script:
    tokens: list[str] = field(default_factory=lambda: ['Hello', ' there', '!'])
    delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] | str = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    abort: bool = False
    error_line_after: int | None = None
    malformed_after: int | None = None
    done_reason: str = 'stop'
    tags_body: str | None = None


@dataclass
class FakeOllama:
    base_url: str
    script: Script = field(default_factory=Script)
    models: list[str] = field(default_factory=lambda: ['llama3.2:latest', 'mistral:7b'])
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    disconnects: int = 0

    def reset(self) -> None:
        self.script = Script()
        self.requests.clear()
        self.headers.clear()
        self.disconnects = 0


def _app(fake: FakeOllama) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        fake.headers.append(dict(request.headers))
        script = fake.script
        if script.status >= 400:
            return _error(script)
        return StreamingResponse(_lines(fake, script, body['model']), media_type='application/x-ndjson')

    async def tags(request: Request) -> Response:
        fake.headers.append(dict(request.headers))
        script = fake.script
        if script.status >= 400:
            return _error(script)
        if script.tags_body is not None:
            return PlainTextResponse(script.tags_body, media_type='text/html')
        return JSONResponse({'models': [_model_entry(name) for name in fake.models]})

    return Starlette(routes=[Route('/api/chat', chat, methods=['POST']), Route('/api/tags', tags)])


def _error(script: Script) -> Response:
    if isinstance(script.error_body, str):
        return PlainTextResponse(script.error_body, status_code=script.status, headers=script.headers)
    return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)


async def _lines(fake: FakeOllama, script: Script, model: str) -> AsyncIterator[bytes]:
    try:
        for index, token in enumerate(script.tokens):
            if index == script.drop_after:
                if script.abort:
                    raise RuntimeError('fake Ollama: connection broken on purpose')
                return
            if index == script.error_line_after:
                yield _line({'error': STREAM_ERROR})
                return
            if index == script.malformed_after:
                yield b'{"model": "' + model.encode() + b'", "message": {\n'
                return
            await asyncio.sleep(script.delay)
            yield _line(_chunk(model, token) | {'done': False})
        yield _line(_chunk(model, '') | _final_stats(script))
    except (asyncio.CancelledError, GeneratorExit):
        fake.disconnects += 1
        raise


def _chunk(model: str, content: str) -> dict[str, Any]:
    return {'model': model, 'created_at': datetime.now(UTC).isoformat(),
            'message': {'role': 'assistant', 'content': content}}


def _final_stats(script: Script) -> dict[str, Any]:
    return {'done': True, 'done_reason': script.done_reason, 'total_duration': 4883583458,
            'load_duration': 1334875, 'prompt_eval_count': PROMPT_EVAL_COUNT, 'prompt_eval_duration': 342546000,
            'eval_count': len(script.tokens), 'eval_duration': 4535599000}


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode() + b'\n'


def _model_entry(name: str) -> dict[str, Any]:
    return {'name': name, 'model': name, 'modified_at': '2024-11-04T14:56:49.277302595-07:00', 'size': 3825819519,
            'digest': 'fe938a131f40e6f6d40083c9f0f430a515233eb2edaa6d72eb85c50d64f2300e',
            'details': {'format': 'gguf', 'family': 'llama', 'families': None, 'parameter_size': '7B',
                        'quantization_level': 'Q4_0'}}


@contextmanager
def running_fake_ollama() -> Iterator[FakeOllama]:
    """Serve the fake on a free loopback port for the duration of the block; `base_url` is the server root."""
    fake = FakeOllama(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = root
        yield fake
