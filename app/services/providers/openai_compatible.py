"""OpenAI-compatible chat completions (OpenAI, OpenRouter, DeepSeek, vLLM, llama.cpp server, LM Studio, Ollama /v1).

Streams `POST {base}/chat/completions` with `stream: true` as Server-Sent Events and maps HTTP and stream failures
to `ProviderError`s a user can act on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import (
    ContextTooLongError,
    Delta,
    GenerationRequest,
    MalformedStreamError,
    ModelInfo,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnreachableError,
    UpstreamServerError,
)

TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class OpenAICompatibleProvider:
    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.headers = {'Authorization': f'Bearer {api_key}'} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = _request_body(request)
        try:
            async with self.client.stream('POST', f'{self.base_url}/chat/completions', json=body,
                                          headers=self.headers) as response:
                if response.status_code >= 400:
                    raise _http_error(response.status_code, (await response.aread()).decode(errors='replace'),
                                      response.headers.get('retry-after'))
                async for delta in _deltas(response.aiter_lines()):
                    yield delta
        except httpx.TimeoutException:
            raise ProviderTimeoutError('error.provider.timeout', 'The model server did not answer in time.') from None
        except httpx.TransportError as error:
            raise ProviderUnreachableError('error.provider.unreachable',
                                           f'Cannot reach {self.base_url}: {error}. Check the address.',
                                           url=self.base_url) from None

    async def list_models(self) -> list[ModelInfo]:
        try:
            response = await self.client.get(f'{self.base_url}/models', headers=self.headers)
        except httpx.TransportError as error:
            raise ProviderUnreachableError('error.provider.unreachable',
                                           f'Cannot reach {self.base_url}: {error}. Check the address.',
                                           url=self.base_url) from None
        if response.status_code >= 400:
            raise _http_error(response.status_code, response.text, response.headers.get('retry-after'))
        return [ModelInfo(id=item['id'], name=item.get('name', item['id']), context_length=item.get('context_length'))
                for item in response.json().get('data', [])]


def _request_body(request: GenerationRequest) -> dict[str, Any]:
    sampler = request.sampler
    body: dict[str, Any] = {
        'model': request.model, 'stream': True, 'stream_options': {'include_usage': True},
        'messages': [{'role': m.role, 'content': m.content, **({'name': m.name} if m.name else {})}
                     for m in request.messages],
        'max_tokens': sampler.max_tokens,
    }
    optional = {'temperature': sampler.temperature, 'top_p': sampler.top_p, 'top_k': sampler.top_k,
                'min_p': sampler.min_p, 'repetition_penalty': sampler.repetition_penalty,
                'frequency_penalty': sampler.frequency_penalty, 'presence_penalty': sampler.presence_penalty,
                'seed': sampler.seed, 'stop': sampler.stop or None}
    body.update({key: value for key, value in optional.items() if value is not None})
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
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise MalformedStreamError('error.provider.malformed', 'The model server sent data that is not valid '
                                       'JSON; the reply was cut off.') from None
        if 'error' in chunk:
            raise ProviderError('error.provider.stream_error', f'The model server reported an error: '
                                f'{_message(chunk)}', detail=_message(chunk))
        usage = chunk.get('usage') or {}
        for choice in chunk.get('choices') or [{}]:
            text = (choice.get('delta') or {}).get('content') or ''
            if text or choice.get('finish_reason') or usage:
                yield Delta(text, choice.get('finish_reason'), usage.get('prompt_tokens'),
                            usage.get('completion_tokens'))
    raise MalformedStreamError('error.provider.truncated', 'The connection to the model server closed before the '
                               'reply was finished.')


def _http_error(status: int, body: str, retry_after: str | None) -> ProviderError:
    detail = _message(_json_or_text(body))[:300]
    lowered = detail.lower()
    if status in (401, 403):
        return ProviderAuthError('error.provider.key_rejected', 'The API key was rejected. Check the key in the '
                                 'connection settings.')
    if status == 404 or ('model' in lowered and ('not found' in lowered or 'does not exist' in lowered)):
        return ModelNotFoundError('error.provider.model_not_found', f'The model server does not know this model: '
                                  f'{detail}', detail=detail)
    if status == 429:
        seconds = int(float(retry_after)) if retry_after and retry_after.replace('.', '', 1).isdigit() else None
        return ProviderRateLimitedError('error.provider.rate_limited', 'The model server is rate limiting requests. '
                                        f'Try again in {seconds or "a few"} seconds.', retry_after=seconds)
    if 'context' in lowered and ('length' in lowered or 'too long' in lowered or 'maximum' in lowered):
        return ContextTooLongError('error.provider.context_too_long', 'The prompt is longer than the model allows. '
                                   'Lower the context size.')
    if status >= 500:
        return UpstreamServerError('error.provider.upstream', f'The model server failed (HTTP {status}): {detail}',
                                   status=status, detail=detail)
    return ProviderError('error.provider.rejected', f'The model server refused the request (HTTP {status}): '
                         f'{detail}', status=status, detail=detail)


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


def _message(payload: Any) -> str:
    if isinstance(payload, dict):
        error = payload.get('error', payload)
        return str(error.get('message', error) if isinstance(error, dict) else error)
    return str(payload)
