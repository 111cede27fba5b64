"""OpenAI-compatible chat completions (OpenAI, OpenRouter, DeepSeek, vLLM, llama.cpp server, LM Studio, Ollama /v1).

Streams `POST {base}/chat/completions` with `stream: true` as Server-Sent Events and maps HTTP and stream failures
to `ProviderError`s a user can act on. Besides OpenAI's own sampler fields it sends `top_k`, `min_p` and the
repetition penalty (under vLLM's and llama.cpp's names), which OpenRouter and the local servers take.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import Delta, GenerationRequest, ModelInfo
from .http_errors import json_or_text, raise_for_status, stream_error, transport_errors
from .sampler_wire import renamed
from .stream_parsing import body_lines, malformed_error, parse_json_object, truncated_error

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
WIRE_NAMES = {'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'min_p': 'min_p',
              'repetition_penalty': ('repetition_penalty', 'repeat_penalty'), 'frequency_penalty': 'frequency_penalty',
              'presence_penalty': 'presence_penalty', 'seed': 'seed', 'logit_bias': 'logit_bias', 'stop': 'stop'}


class OpenAICompatibleProvider:
    SUPPORTED_SAMPLERS = frozenset({'max_tokens', *WIRE_NAMES})

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.headers = {'Authorization': f'Bearer {api_key}'} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = request_body(request)
        async with transport_errors(self.base_url), self.client.stream(
                'POST', f'{self.base_url}/chat/completions', json=body, headers=self.headers) as response:
            await raise_for_status(response)
            async for delta in _deltas(body_lines(response)):
                yield delta

    async def list_models(self) -> list[ModelInfo]:
        return await list_openai_models(self.client, self.base_url, self.headers)


async def list_openai_models(client: httpx.AsyncClient, base_url: str, headers: dict[str, str]) -> list[ModelInfo]:
    """`GET {base}/models` in OpenAI's list format (vLLM's `max_model_len` counts as the context length)."""
    async with transport_errors(base_url):
        response = await client.get(f'{base_url}/models', headers=headers)
    await raise_for_status(response)
    listing = json_or_text(response.text)
    items = listing.get('data') if isinstance(listing, dict) else None
    if not isinstance(items, list):
        raise malformed_error()
    return [ModelInfo(id=item['id'], name=item.get('name') or item['id'],
                      context_length=item.get('context_length') or item.get('max_model_len')) for item in items]


def request_body(request: GenerationRequest) -> dict[str, Any]:
    """The `/chat/completions` body: messages with speaker names, and the sampler settings that are set."""
    sampler = request.sampler
    body: dict[str, Any] = {
        'model': request.model, 'stream': True, 'stream_options': {'include_usage': True},
        'messages': [{'role': m.role, 'content': m.content, **({'name': m.name} if m.name else {})}
                     for m in request.messages],
        'max_tokens': sampler.max_tokens,
    }
    body.update(renamed(sampler, WIRE_NAMES))
    body.update(sampler.extra)
    return body


async def _deltas(lines: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the SSE lines; a stream that ends without `[DONE]` is reported as cut off."""
    async for line in lines:
        if not line.startswith('data:'):
            continue
        data = line[5:].strip()
        if data == '[DONE]':
            return
        chunk = parse_json_object(data)
        if 'error' in chunk:
            raise stream_error(chunk)
        usage = chunk.get('usage') or {}
        for choice in chunk.get('choices') or [{}]:
            text = (choice.get('delta') or {}).get('content') or ''
            if text or choice.get('finish_reason') or usage:
                yield Delta(text, choice.get('finish_reason'), usage.get('prompt_tokens'),
                            usage.get('completion_tokens'))
    raise truncated_error()
