"""A small Gemini API server (documented `:streamGenerateContent?alt=sse` chunks and `/v1beta/models` pages) for tests.

It stands in for Google's Generative Language API, which tests cannot reach. Each test scripts it: the tokens to
stream, a delay per token, the finish reason (a safety block included), a blocked prompt, an HTTP error, an error
chunk or invalid JSON mid-stream, or a connection dropped mid-stream. It records the request bodies, headers, query
strings and model paths it received and counts client disconnects. Like the real API, it refuses a
`generationConfig` field that `GenerationConfig` does not define (a sampler Gemini lacks).
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

INTERNAL = {'error': {'code': 500, 'message': 'An internal error has occurred.', 'status': 'INTERNAL'}}
GENERATION_CONFIG_FIELDS = frozenset({
    'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities',
    'candidateCount', 'maxOutputTokens', 'temperature', 'topP', 'topK', 'seed', 'presencePenalty',
    'frequencyPenalty', 'responseLogprobs', 'logprobs', 'enableEnhancedCivicAnswers', 'speechConfig',
    'thinkingConfig', 'imageConfig', 'mediaResolution'})
HARASSMENT_RATINGS = [
    {'category': 'HARM_CATEGORY_HARASSMENT', 'probability': 'HIGH', 'blocked': True},
    {'category': 'HARM_CATEGORY_HATE_SPEECH', 'probability': 'NEGLIGIBLE'},
]


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
    finish_reason: str = 'STOP'
    block_prompt: str | None = None
    prompt_tokens: int = 11


@dataclass
class FakeGemini:
    base_url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    disconnects: int = 0
    models: list[dict[str, Any]] = field(default_factory=lambda: [
        {'name': 'models/gemini-2.0-flash', 'displayName': 'Gemini 2.0 Flash', 'inputTokenLimit': 1048576,
         'outputTokenLimit': 8192, 'supportedGenerationMethods': ['generateContent', 'countTokens']},
        {'name': 'models/text-embedding-004', 'displayName': 'Text Embedding 004', 'inputTokenLimit': 2048,
         'outputTokenLimit': 1, 'supportedGenerationMethods': ['embedContent']},
        {'name': 'models/gemini-2.5-pro', 'displayName': 'Gemini 2.5 Pro', 'inputTokenLimit': 1048576,
         'outputTokenLimit': 65536, 'supportedGenerationMethods': ['generateContent', 'countTokens']},
    ])
    page_size: int = 2

    def reset(self) -> None:
        self.script = Script()
        for records in (self.requests, self.headers, self.queries, self.paths):
            records.clear()
        self.disconnects = 0


def _app(fake: FakeGemini) -> Starlette:
    async def generate(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        fake.headers.append(dict(request.headers))
        fake.queries.append(dict(request.query_params))
        fake.paths.append(request.path_params['target'])
        script = fake.script
        if script.status >= 400:
            return JSONResponse(script.error_body, status_code=script.status, headers=script.headers)
        unknown = sorted(set(body.get('generationConfig') or {}) - GENERATION_CONFIG_FIELDS)
        if unknown:
            return JSONResponse(_unknown_field_error(unknown[0]), status_code=400)
        model = request.path_params['target'].split(':')[0]
        return StreamingResponse(_counting_disconnects(fake, _chunks(script, model)), media_type='text/event-stream')

    async def models(request: Request) -> Response:
        fake.headers.append(dict(request.headers))
        fake.queries.append(dict(request.query_params))
        if fake.script.status >= 400:
            return JSONResponse(fake.script.error_body, status_code=fake.script.status, headers=fake.script.headers)
        return JSONResponse(_models_page(fake, request.query_params.get('pageToken'),
                                         int(request.query_params.get('pageSize', 50))))

    return Starlette(routes=[Route('/v1beta/models/{target}', generate, methods=['POST']),
                             Route('/v1beta/models', models)])


def _unknown_field_error(name: str) -> dict[str, Any]:
    message = f'Invalid JSON payload received. Unknown name "{name}" at \'generation_config\': Cannot find field.'
    return {'error': {'code': 400, 'message': message, 'status': 'INVALID_ARGUMENT'}}


def _models_page(fake: FakeGemini, token: str | None, size: int) -> dict[str, Any]:
    """One page as documented: `models` and, when more follow, `nextPageToken`; the server caps the page size."""
    start = int(token) if token else 0
    end = start + min(size, fake.page_size)
    page: dict[str, Any] = {'models': fake.models[start:end]}
    if end < len(fake.models):
        page['nextPageToken'] = str(end)
    return page


def _chunk(data: dict[str, Any]) -> bytes:
    return f'data: {json.dumps(data)}\r\n\r\n'.encode()


def _response(model: str, usage: dict[str, int], text: str | None = None, **candidate: Any) -> dict[str, Any]:
    """A `GenerateContentResponse` with one candidate."""
    if text is not None:
        candidate['content'] = {'parts': [{'text': text}], 'role': 'model'}
    return {'candidates': [{**candidate, 'index': 0}], 'usageMetadata': usage, 'modelVersion': model}


async def _chunks(script: Script, model: str) -> AsyncIterator[bytes]:
    usage = {'promptTokenCount': script.prompt_tokens, 'totalTokenCount': script.prompt_tokens}
    if script.block_prompt:
        yield _chunk({'promptFeedback': {'blockReason': script.block_prompt, 'safetyRatings': HARASSMENT_RATINGS},
                      'usageMetadata': usage, 'modelVersion': model})
        return
    blocked = script.finish_reason not in ('STOP', 'MAX_TOKENS')
    for index, token in enumerate(script.tokens):
        if index == script.drop_after:
            return
        if index == script.error_after:
            yield _chunk(INTERNAL)
            return
        if index == script.malformed_after:
            yield b'data: {"candidates": [{"content": \r\n\r\n'
            return
        await asyncio.sleep(script.delay)
        last = index == len(script.tokens) - 1 and not blocked
        final = {'finishReason': script.finish_reason} if last else {}
        yield _chunk(_response(model, _final_usage(script) if last else usage, token, **final))
    if blocked:
        yield _chunk(_response(model, _final_usage(script), finishReason=script.finish_reason,
                               safetyRatings=HARASSMENT_RATINGS))


def _final_usage(script: Script) -> dict[str, int]:
    return {'promptTokenCount': script.prompt_tokens, 'candidatesTokenCount': len(script.tokens),
            'totalTokenCount': script.prompt_tokens + len(script.tokens)}


async def _counting_disconnects(fake: FakeGemini, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass the chunks through, counting a client that went away before the stream ended."""
    try:
        async for chunk in chunks:
            yield chunk
    except (asyncio.CancelledError, GeneratorExit):
        fake.disconnects += 1
        raise


@contextmanager
def running_fake_gemini() -> Iterator[FakeGemini]:
    """Serve the fake on a free loopback port for the duration of the block; `base_url` ends in `/v1beta`."""
    fake = FakeGemini(base_url='')
    with serving(_app(fake)) as root:
        fake.base_url = f'{root}/v1beta'
        yield fake
