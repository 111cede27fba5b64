"""A small OpenAI-compatible text-completion server (the documented `/v1/completions` SSE format) for tests.

It stands in for llama.cpp server, vLLM and friends, which tests cannot run. Each test scripts it: the tokens to
stream, a delay per token, an HTTP error, an error chunk, a chunk that is not JSON, a stream dropped mid-way
(cleanly or by breaking the connection), no `[DONE]`, or KoboldCpp's /v1 quirks (`"null"` finish reasons, no usage
chunk, a `[DONE]` without its closing blank line). It records request bodies and headers and counts client disconnects.
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
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .fake_server import serving

PROMPT_TOKENS = 11
STREAM_ERROR = 'the request exceeds the available context size'
MODELS = [{'id': 'llama-3-8b-instruct', 'object': 'model', 'owned_by': 'vllm', 'max_model_len': 8192},
          {'id': 'mythomax-l2-13b', 'object': 'model', 'name': 'MythoMax 13B', 'context_length': 4096}]


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
    send_done: bool = True
    kobold_style: bool = False


@dataclass
class FakeOpenAIText:
    base_url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    disconnects: int = 0

    def reset(self) -> None:
        self.script = Script()
        self.requests.clear()
        self.headers.clear()
        self.disconnects = 0


def _app(fake: FakeOpenAIText) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        fake.headers.append(dict(request.headers))
        script = fake.script
        if script.status >= 400:
            return _error(script)
        return StreamingResponse(_events(fake, script, body.get('model', 'default')), media_type='text/event-stream')

    async def models(request: Request) -> Response:
        fake.headers.append(dict(request.headers))
        if fake.script.status >= 400:
            return _error(fake.script)
        return JSONResponse({'object': 'list', 'data': MODELS})

    return Starlette(routes=[Route('/v1/completions', completions, methods=['POST']), Route('/v1/models', models)])


def _error(script: Script) -> Response:
    if isinstance(script.error_body, str):
        return PlainTextResponse(script.error_body, status_code=script.status, headers=script.headers)
    return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)


async def _events(fake: FakeOpenAIText, script: Script, model: str) -> AsyncIterator[bytes]:
    try:
        for index, token in enumerate(script.tokens):
            if index == script.drop_after:
                if script.abort:
                    raise RuntimeError('fake text completions: connection broken on purpose')
                return
            if index == script.error_after:
                yield _event({'error': {'code': 400, 'message': STREAM_ERROR, 'type': 'exceed_context_size_error'}})
                return
            if index == script.malformed_after:
                yield b'data: {"id": "cmpl-1", "choices": [{"text": \n\n'
                return
            await asyncio.sleep(script.delay)
            yield _event(_chunk(model, token, 'null' if script.kobold_style else None))
        yield _event(_chunk(model, '', script.finish_reason))
        if script.kobold_style:
            yield b'data: [DONE]'
            return
        yield _event(_usage(model, len(script.tokens)))
        if script.send_done:
            yield b'data: [DONE]\n\n'
    except (asyncio.CancelledError, GeneratorExit):
        fake.disconnects += 1
        raise


def _chunk(model: str, text: str, finish_reason: str | None) -> dict[str, Any]:
    return {'id': 'cmpl-1', 'object': 'text_completion', 'created': int(time.time()), 'model': model,
            'choices': [{'text': text, 'index': 0, 'logprobs': None, 'finish_reason': finish_reason}]}


def _usage(model: str, completion_tokens: int) -> dict[str, Any]:
    return {'id': 'cmpl-1', 'object': 'text_completion', 'created': int(time.time()), 'model': model, 'choices': [],
            'usage': {'prompt_tokens': PROMPT_TOKENS, 'completion_tokens': completion_tokens,
                      'total_tokens': PROMPT_TOKENS + completion_tokens}}


def _event(payload: dict[str, Any]) -> bytes:
    return f'data: {json.dumps(payload)}\n\n'.encode()


@contextmanager
def running_fake_openai_text() -> Iterator[FakeOpenAIText]:
    """Serve the fake on a free loopback port for the duration of the block; `base_url` ends in `/v1`."""
    fake = FakeOpenAIText(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = f'{root}/v1'
        yield fake
