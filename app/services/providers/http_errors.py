"""Maps what a model server's HTTP API does wrong to `ProviderError`s a user can act on.

Every adapter shares this, so "key rejected", "rate limited, try again in 7 seconds" and friends read the same
whichever backend said them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from .base import (
    ContextTooLongError,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnreachableError,
    UpstreamServerError,
)


@asynccontextmanager
async def transport_errors(base_url: str) -> AsyncIterator[None]:
    """Turn httpx timeouts and connection failures inside the block into provider errors naming `base_url`."""
    try:
        yield
    except httpx.TimeoutException:
        raise ProviderTimeoutError('error.provider.timeout', 'The model server did not answer in time.') from None
    except httpx.TransportError as error:
        raise ProviderUnreachableError('error.provider.unreachable',
                                       f'Cannot reach {base_url}: {error}. Check the address.',
                                       url=base_url) from None


async def raise_for_status(response: httpx.Response) -> None:
    """Raise the matching provider error when a (possibly streaming) response is an HTTP error."""
    if response.status_code >= 400:
        body = (await response.aread()).decode(errors='replace')
        raise http_error(response.status_code, body, response.headers.get('retry-after'))


def http_error(status: int, body: str, retry_after: str | None) -> ProviderError:
    """The provider error for an HTTP error status and its body (JSON or text), in every vendor's wording."""
    payload = json_or_text(body)
    detail = error_message(payload)[:300]
    lowered = detail.lower()
    retry_after = retry_after or _google_retry_delay(payload)
    bad_key = status == 400 and ('api key not valid' in lowered or 'api_key_invalid' in body.lower())
    if status in (401, 403) or bad_key:
        return ProviderAuthError('error.provider.key_rejected', 'The API key was rejected. Check the key in the '
                                 'connection settings.')
    if status == 404 and 'model' not in lowered:
        return ProviderError('error.provider.wrong_address', f'The model server has no such endpoint (HTTP 404): '
                             f'{detail}. Check the base URL and the kind of server.', detail=detail)
    if status == 404 or ('model' in lowered and ('not found' in lowered or 'does not exist' in lowered)):
        return ModelNotFoundError('error.provider.model_not_found', f'The model server does not know this model: '
                                  f'{detail}', detail=detail)
    if status == 429:
        seconds = int(float(retry_after)) if retry_after and retry_after.replace('.', '', 1).isdigit() else None
        return ProviderRateLimitedError('error.provider.rate_limited', 'The model server is rate limiting requests. '
                                        f'Try again in {seconds or "a few"} seconds.', retry_after=seconds)
    if _context_too_long(lowered):
        return ContextTooLongError('error.provider.context_too_long', 'The prompt is longer than the model allows. '
                                   'Lower the context size.')
    if status >= 500:
        return UpstreamServerError('error.provider.upstream', f'The model server failed (HTTP {status}): {detail}',
                                   status=status, detail=detail)
    return ProviderError('error.provider.rejected', f'The model server refused the request (HTTP {status}): '
                         f'{detail}', status=status, detail=detail)


def _context_too_long(lowered: str) -> bool:
    """OpenAI-style "maximum context length", Claude's "prompt is too long", Gemini's "input token count exceeds"."""
    return ('context' in lowered and any(word in lowered for word in ('length', 'too long', 'maximum', 'exceed'))) \
        or 'prompt is too long' in lowered or ('input token count' in lowered and 'exceeds' in lowered)


def _google_retry_delay(payload: Any) -> str | None:
    """The seconds of a `google.rpc.RetryInfo` error detail (`"retryDelay": "37s"`), if there is one."""
    error = payload.get('error') if isinstance(payload, dict) else None
    details = error.get('details', []) if isinstance(error, dict) else []
    for detail in details if isinstance(details, list) else []:
        delay = detail.get('retryDelay') if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith('s'):
            return delay.removesuffix('s')
    return None


def stream_error(payload: Any) -> ProviderError:
    """An error object that arrived inside a stream (after HTTP 200)."""
    detail = error_message(payload)[:300]
    return ProviderError('error.provider.stream_error', f'The model server reported an error: {detail}',
                         detail=detail)


def json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


def error_message(payload: Any) -> str:
    """The human part of an error payload: `{"error": {"message": ...}}`, `{"error": "..."}`, `{"detail": ...}`."""
    if isinstance(payload, list) and payload:
        return error_message(payload[0])
    if isinstance(payload, dict):
        error = payload.get('error', payload.get('detail', payload))
        if isinstance(error, dict):
            return str(error.get('message', error.get('msg', error)))
        return str(error)
    return str(payload)
