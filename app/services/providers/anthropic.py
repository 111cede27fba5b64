"""Anthropic Claude through the Messages API (`POST {base}/messages` with `stream: true`).

Claude takes the system prompt as a separate field and wants a conversation that starts with the user and
alternates turns, so the chat is reshaped accordingly; its Server-Sent Events are turned into `Delta`s and its
errors into `ProviderError`s a user can act on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from .base import (
    ChatMessage,
    Delta,
    GenerationRequest,
    ModelInfo,
    ProviderError,
)
from .http_errors import raise_for_status, stream_error, transport_errors
from .sampler_wire import renamed
from .stream_parsing import body_lines, parse_json_object, truncated_error

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
API_VERSION = '2023-06-01'
OPENING_USER_TURN = '(continue)'
FINISH_REASONS = {'end_turn': 'stop', 'stop_sequence': 'stop', 'max_tokens': 'length'}
WIRE_NAMES = {'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'stop': 'stop_sequences'}


class AnthropicProvider:
    """One Anthropic connection; `options` is part of the common adapter signature and none are read."""

    SUPPORTED_SAMPLERS = frozenset({'max_tokens', *WIRE_NAMES})

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.headers = {'anthropic-version': API_VERSION, **({'x-api-key': api_key} if api_key else {})}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = request_body(request)
        async with transport_errors(self.base_url), self.client.stream(
                'POST', f'{self.base_url}/messages', json=body, headers=self.headers) as response:
            await raise_for_status(response)
            async for delta in _deltas(body_lines(response)):
                yield delta

    async def list_models(self) -> list[ModelInfo]:
        models: list[ModelInfo] = []
        params: dict[str, Any] = {'limit': 1000}
        while True:
            page = await self._get_json('/models', params)
            models += [ModelInfo(id=item['id'], name=item.get('display_name') or item['id'])
                       for item in page.get('data', [])]
            if not page.get('has_more') or not page.get('last_id'):
                return models
            params['after_id'] = page['last_id']

    async def _get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        async with transport_errors(self.base_url):
            response = await self.client.get(f'{self.base_url}{path}', params=params, headers=self.headers)
        await raise_for_status(response)
        return response.json()


def request_body(request: GenerationRequest) -> dict[str, Any]:
    """The Messages API body: system prompt apart, alternating turns, only the sampler fields Claude accepts."""
    body: dict[str, Any] = {'model': request.model, 'max_tokens': request.sampler.max_tokens, 'stream': True}
    system = '\n\n'.join(m.content for m in request.messages if m.role == 'system')
    if system:
        body['system'] = system
    body['messages'] = conversation(request.messages)
    body.update(renamed(request.sampler, WIRE_NAMES) | request.sampler.extra)
    return body


def conversation(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """User/assistant turns merged so they alternate, opening with a user turn.

    The API rejects a conversation that opens with the assistant (a character's greeting does), and a final
    assistant turn is a prefill that must not end in whitespace.
    """
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role == 'system':
            continue
        if turns and turns[-1]['role'] == message.role:
            turns[-1]['content'] += f'\n\n{message.content}'
        else:
            turns.append({'role': message.role, 'content': message.content})
    if not turns or turns[0]['role'] != 'user':
        turns.insert(0, {'role': 'user', 'content': OPENING_USER_TURN})
    if turns[-1]['role'] == 'assistant':
        turns[-1]['content'] = turns[-1]['content'].rstrip()
    return turns


@dataclass
class _Reply:
    """What the stream said about the reply as a whole, reported on its last delta."""

    stop_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def read_usage(self, usage: dict[str, Any]) -> None:
        self.prompt_tokens = usage.get('input_tokens', self.prompt_tokens)
        self.completion_tokens = usage.get('output_tokens', self.completion_tokens)

    def final_delta(self) -> Delta:
        if self.stop_reason == 'refusal':
            raise ProviderError('error.provider.blocked', "The reply was blocked by the provider's safety filter "
                                '(refusal).', reason='refusal')
        reason = FINISH_REASONS.get(self.stop_reason or '', self.stop_reason)
        return Delta('', reason, self.prompt_tokens, self.completion_tokens)


async def _deltas(lines: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the SSE events; a stream that ends without `message_stop` is reported as cut off."""
    reply = _Reply()
    async for line in lines:
        if not line.startswith('data:'):
            continue
        event = parse_json_object(line[5:].strip())
        kind = event.get('type')
        delta = event.get('delta') or {}
        if kind == 'content_block_delta' and delta.get('type') == 'text_delta':
            yield Delta(delta.get('text') or '')
        elif kind == 'message_start':
            reply.read_usage((event.get('message') or {}).get('usage') or {})
        elif kind == 'message_delta':
            reply.stop_reason = delta.get('stop_reason') or reply.stop_reason
            reply.read_usage(event.get('usage') or {})
        elif kind == 'message_stop':
            yield reply.final_delta()
            return
        elif kind == 'error':
            raise stream_error(event)
    raise truncated_error()
