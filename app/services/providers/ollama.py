"""Ollama's native chat API: `POST {root}/api/chat` streamed as newline-delimited JSON, models from `/api/tags`.

Ollama also answers in the OpenAI format under `/v1`, but only the native API takes Ollama's own options, so the
context size the user picks (`num_ctx`), `min_p`, `repeat_penalty`, mirostat and `keep_alive` actually reach the
model. HTTP and stream failures become `ProviderError`s a user can act on; a reply cut off mid-way keeps what
arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import Delta, GenerationRequest, ModelInfo, SamplerSettings
from .http_errors import raise_for_status, stream_error, transport_errors
from .sampler_wire import renamed
from .stream_parsing import body_lines, parse_json_object, truncated_error

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_BASE_URL = 'http://127.0.0.1:11434'
API_SUFFIXES = ('/api', '/v1')
WIRE_NAMES = {
    'max_tokens': 'num_predict', 'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'min_p': 'min_p',
    'typical_p': 'typical_p', 'tfs': 'tfs_z', 'repetition_penalty': 'repeat_penalty',
    'repetition_penalty_range': 'repeat_last_n', 'frequency_penalty': 'frequency_penalty',
    'presence_penalty': 'presence_penalty', 'mirostat_mode': 'mirostat', 'mirostat_tau': 'mirostat_tau',
    'mirostat_eta': 'mirostat_eta', 'seed': 'seed', 'stop': 'stop',
}


class OllamaProvider:
    """One Ollama server; `options` may hold `context_size` (sent as `num_ctx`) and `keep_alive`."""

    SUPPORTED_SAMPLERS = frozenset(WIRE_NAMES)

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = root_url(base_url)
        self.headers = {'Authorization': f'Bearer {api_key}'} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self.options = options or {}

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = request_body(request, self.options)
        async with transport_errors(self.base_url), self.client.stream(
                'POST', f'{self.base_url}/api/chat', json=body, headers=self.headers) as response:
            await raise_for_status(response)
            async for delta in _deltas(body_lines(response)):
                yield delta

    async def list_models(self) -> list[ModelInfo]:
        async with transport_errors(self.base_url):
            response = await self.client.get(f'{self.base_url}/api/tags', headers=self.headers)
        await raise_for_status(response)
        listing = parse_json_object(response.text)
        return [ModelInfo(id=item['name'], name=item['name']) for item in listing.get('models', [])]


def root_url(base_url: str) -> str:
    """The server root from what the user pasted: no trailing slash, `/api` or `/v1`; empty means the default."""
    root = base_url.strip().rstrip('/') or DEFAULT_BASE_URL
    for suffix in API_SUFFIXES:
        if root.endswith(suffix):
            return root.removesuffix(suffix).rstrip('/')
    return root


def request_body(request: GenerationRequest, options: dict[str, Any]) -> dict[str, Any]:
    """The `/api/chat` body: plain role/content messages, sampler settings under `options`."""
    body: dict[str, Any] = {
        'model': request.model,
        'messages': [{'role': m.role, 'content': m.content} for m in request.messages],
        'stream': True,
        'options': model_options(request.sampler, request.context_size or options.get('context_size')),
    }
    if options.get('keep_alive') is not None:
        body['keep_alive'] = options['keep_alive']
    return body


def model_options(sampler: SamplerSettings, context_size: int | None) -> dict[str, Any]:
    """Ollama's names for the sampler settings plus `sampler.extra`; unset (None) values are left out."""
    named = {**renamed(sampler, WIRE_NAMES), 'num_ctx': int(context_size) if context_size else None}
    return {key: value for key, value in (named | sampler.extra).items() if value is not None}


async def _deltas(lines: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the NDJSON chunks; the `done` chunk carries finish reason and token counts, and must arrive."""
    async for line in lines:
        if not line.strip():
            continue
        chunk = parse_json_object(line)
        if 'error' in chunk:
            raise stream_error(chunk)
        text = (chunk.get('message') or {}).get('content') or ''
        if chunk.get('done'):
            yield Delta(text, chunk.get('done_reason') or 'stop', chunk.get('prompt_eval_count'),
                        chunk.get('eval_count'))
            return
        if text:
            yield Delta(text)
    raise truncated_error()
