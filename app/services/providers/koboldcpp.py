"""KoboldCpp's native API: `POST {root}/api/extra/generate/stream` streamed as Server-Sent Events.

The native API takes KoboldCpp's own sampler names (`rep_pen`, `typical`, `sampler_seed`, `max_context_length`,
`banned_tokens` for banned strings, `custom_token_bans` for banned token ids), logit bias by token id only, and
dynamic temperature as a midpoint `temperature` with a `dynatemp_range` either side. Each event
is `event: message` + `data: {"token": ..., "finish_reason": ...}`, with a null finish reason (the string "null" in
older releases) until the last event, which says "stop" or "length" (KoboldCpp 1.64+), after which the server closes
the connection. KoboldCpp keeps generating when a client goes away, so leaving a stream early also posts
`/api/extra/abort` with the request's `genkey`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import Delta, GenerationRequest, ModelInfo, ProviderError
from .http_errors import http_error, json_or_text, raise_for_status, stream_error, transport_errors
from .openai_text import NO_FINISH, prompt_and_stop, without_none
from .sampler_wire import dynamic_temperature, renamed, token_id_bias
from .stream_parsing import malformed_error, parse_json_object, sse_data, truncated_error

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
ABORT_TIMEOUT = 3.0
DEFAULT_BASE_URL = 'http://127.0.0.1:5001'
API_SUFFIXES = ('/api', '/v1')
MODEL_PREFIX = 'koboldcpp/'
PROTECTED_MODEL = 'koboldcpp/protected-model'
WIRE_NAMES = {
    'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'top_a': 'top_a', 'typical_p': 'typical',
    'tfs': 'tfs', 'min_p': 'min_p', 'repetition_penalty': 'rep_pen', 'repetition_penalty_range': 'rep_pen_range',
    'repetition_penalty_slope': 'rep_pen_slope', 'presence_penalty': 'presence_penalty',
    'mirostat_mode': 'mirostat', 'mirostat_tau': 'mirostat_tau', 'mirostat_eta': 'mirostat_eta',
    'dry_multiplier': 'dry_multiplier', 'dry_base': 'dry_base', 'dry_allowed_length': 'dry_allowed_length',
    'dry_penalty_last_n': 'dry_penalty_last_n', 'dry_sequence_breakers': 'dry_sequence_breakers',
    'xtc_threshold': 'xtc_threshold', 'xtc_probability': 'xtc_probability', 'dynatemp_exponent': 'dynatemp_exponent',
    'smoothing_factor': 'smoothing_factor', 'seed': 'sampler_seed', 'banned_strings': 'banned_tokens',
    'ban_eos_token': 'ban_eos_token',
}

_aborts: set[asyncio.Task[None]] = set()


class KoboldCppProvider:
    """One KoboldCpp server; `options` may hold `instruct_template` and `context_size` (`max_context_length`)."""

    SUPPORTED_SAMPLERS = frozenset({'max_tokens', 'stop', 'min_temp', 'max_temp', 'banned_tokens', 'logit_bias',
                                    *WIRE_NAMES})

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = root_url(base_url)
        self.headers = {'Authorization': f'Bearer {api_key}'} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self.options = options or {}

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        genkey = f'KCPP{secrets.token_hex(8)}'
        body = request_body(request, self.options, genkey)
        async with transport_errors(self.base_url), self.client.stream(
                'POST', f'{self.base_url}/api/extra/generate/stream', json=body, headers=self.headers) as response:
            await raise_for_status(response)
            try:
                async for delta in _deltas(sse_data(response)):
                    yield delta
            except BaseException as error:
                if getattr(error, 'code', None) != 'error.provider.truncated':
                    abort = self._start_abort(genkey)
                    await response.aclose()
                    await asyncio.shield(abort)
                raise

    async def list_models(self) -> list[ModelInfo]:
        async with transport_errors(self.base_url):
            response = await self.client.get(f'{self.base_url}/api/v1/model', headers=self.headers)
        await raise_for_status(response)
        payload = json_or_text(response.text)
        if not isinstance(payload, dict) or not isinstance(payload.get('result'), str):
            raise malformed_error()
        model = payload['result']
        if model == PROTECTED_MODEL:
            raise http_error(401, '', None)
        return [ModelInfo(model, model.removeprefix(MODEL_PREFIX), await self._context_length())]

    async def _context_length(self) -> int | None:
        """The context size KoboldCpp was launched with; None when the server does not say (KoboldAI United)."""
        with contextlib.suppress(httpx.HTTPError, ProviderError):
            async with transport_errors(self.base_url):
                response = await self.client.get(f'{self.base_url}/api/extra/true_max_context_length',
                                                 headers=self.headers)
            value = json_or_text(response.text)
            if response.status_code == 200 and isinstance(value, dict) and isinstance(value.get('value'), int):
                return value['value']
        return None

    def _start_abort(self, genkey: str) -> asyncio.Task[None]:
        """Ask KoboldCpp to stop this generation, in a task of its own so a cancelled caller cannot stop the ask."""
        task = asyncio.create_task(self._post_abort(genkey))
        _aborts.add(task)
        task.add_done_callback(_aborts.discard)
        return task

    async def _post_abort(self, genkey: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await self.client.post(f'{self.base_url}/api/extra/abort', json={'genkey': genkey}, headers=self.headers,
                                   timeout=ABORT_TIMEOUT)


def root_url(base_url: str) -> str:
    """The server root from what the user pasted: no trailing slash, `/api`, `/v1` or `/api/v1`."""
    root = base_url.strip().rstrip('/') or DEFAULT_BASE_URL
    while root.endswith(API_SUFFIXES):
        root = root.rsplit('/', 1)[0].rstrip('/')
    return root


def request_body(request: GenerationRequest, options: dict[str, Any], genkey: str) -> dict[str, Any]:
    """The native generate body under KoboldCpp's names; `trim_stop` keeps stop strings out of the reply."""
    prompt, stop = prompt_and_stop(request, options)
    sampler = request.sampler
    context_size = request.context_size or options.get('context_size')
    named = {'prompt': prompt, 'max_length': sampler.max_tokens,
             'max_context_length': int(context_size) if context_size else None, **renamed(sampler, WIRE_NAMES),
             'stop_sequence': stop or None, 'trim_stop': True}
    dynamic = dynamic_temperature(sampler)
    if dynamic is not None:
        named.update(temperature=dynamic[0], dynatemp_range=dynamic[1])
    if sampler.banned_tokens:
        named['custom_token_bans'] = ','.join(str(token) for token in sampler.banned_tokens)
    named['logit_bias'] = token_id_bias(sampler.logit_bias) or None
    return without_none(named | sampler.extra) | {'genkey': genkey}


async def _deltas(payloads: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the message events; the one with a finish reason is the last, and the stream must reach it."""
    async for data in payloads:
        event = parse_json_object(data)
        if 'error' in event or 'detail' in event:
            raise stream_error(event)
        text = event.get('token') or ''
        if event.get('finish_reason') not in NO_FINISH:
            yield Delta(text, event['finish_reason'])
            return
        if text:
            yield Delta(text)
    raise truncated_error()
