"""Google Gemini through the Generative Language API (`{base}/models/{model}:streamGenerateContent?alt=sse`).

Gemini has its own chat shape (`contents` with `user`/`model` turns, a separate `systemInstruction`, camelCase
`generationConfig`), signals the end of a stream only by a finish reason, and may block a prompt or a reply with
its safety filter; this adapter maps all of that onto `Delta`s and `ProviderError`s a user can act on.
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
OPENING_USER_TURN = '(continue)'
FINISH_REASONS = {'STOP': 'stop', 'MAX_TOKENS': 'length'}
BLOCKING_FINISH_REASONS = {'SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY'}
WIRE_NAMES = {'max_tokens': 'maxOutputTokens', 'temperature': 'temperature', 'top_p': 'topP', 'top_k': 'topK',
              'stop': 'stopSequences', 'seed': 'seed', 'presence_penalty': 'presencePenalty',
              'frequency_penalty': 'frequencyPenalty'}


class GeminiProvider:
    """One Gemini connection; `options['safety_settings']` is sent as the request's `safetySettings` list."""

    SUPPORTED_SAMPLERS = frozenset(WIRE_NAMES)

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.headers = {'x-goog-api-key': api_key} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self.safety_settings = (options or {}).get('safety_settings')

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = request_body(request, self.safety_settings)
        url = f'{self.base_url}/models/{model_id(request.model)}:streamGenerateContent'
        async with transport_errors(self.base_url), self.client.stream(
                'POST', url, params={'alt': 'sse'}, json=body, headers=self.headers) as response:
            await raise_for_status(response)
            async for delta in _deltas(body_lines(response)):
                yield delta

    async def list_models(self) -> list[ModelInfo]:
        """The models that can generate content, following `nextPageToken` through every page."""
        models: list[ModelInfo] = []
        params: dict[str, Any] = {'pageSize': 1000}
        while True:
            page = await self._get_json('/models', params)
            models += [_model_info(item) for item in page.get('models', [])
                       if 'generateContent' in item.get('supportedGenerationMethods', [])]
            if not page.get('nextPageToken'):
                return models
            params['pageToken'] = page['nextPageToken']

    async def _get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        async with transport_errors(self.base_url):
            response = await self.client.get(f'{self.base_url}{path}', params=params, headers=self.headers)
        await raise_for_status(response)
        return response.json()


def model_id(model: str) -> str:
    """`gemini-2.0-flash` whether given as that or as the resource name `models/gemini-2.0-flash`."""
    return model.removeprefix('models/')


def _model_info(item: dict[str, Any]) -> ModelInfo:
    identifier = model_id(item['name'])
    return ModelInfo(id=identifier, name=item.get('displayName') or identifier,
                     context_length=item.get('inputTokenLimit'))


def request_body(request: GenerationRequest, safety_settings: Any = None) -> dict[str, Any]:
    """The `GenerateContentRequest`: system prompt apart, `user`/`model` turns, only the sampler fields set."""
    body: dict[str, Any] = {'contents': contents(request.messages)}
    system = '\n\n'.join(m.content for m in request.messages if m.role == 'system')
    if system:
        body['systemInstruction'] = {'parts': [{'text': system}]}
    body['generationConfig'] = renamed(request.sampler, WIRE_NAMES) | request.sampler.extra
    if safety_settings:
        body['safetySettings'] = safety_settings
    return body


def contents(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """User/model turns merged so they alternate, opening with a user turn as multi-turn requests must."""
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role == 'system':
            continue
        role = 'model' if message.role == 'assistant' else 'user'
        if turns and turns[-1]['role'] == role:
            turns[-1]['text'] += f'\n\n{message.content}'
        else:
            turns.append({'role': role, 'text': message.content})
    if not turns or turns[0]['role'] != 'user':
        turns.insert(0, {'role': 'user', 'text': OPENING_USER_TURN})
    return [{'role': turn['role'], 'parts': [{'text': turn['text']}]} for turn in turns]


def blocked_error(reason: str, ratings: list[dict[str, Any]]) -> ProviderError:
    """The reply (or the prompt) was stopped by Gemini's safety filter; name the reason and the flagged categories."""
    flagged = [rating.get('category', '').removeprefix('HARM_CATEGORY_').replace('_', ' ').lower()
               for rating in ratings if rating.get('blocked') or rating.get('probability') == 'HIGH']
    why = f'{reason}: {", ".join(flagged)}' if flagged else reason
    return ProviderError('error.provider.blocked', f"The reply was blocked by the provider's safety filter ({why}).",
                         reason=why)


@dataclass
class _Reply:
    """What the stream said about the reply as a whole, reported on its last delta."""

    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def read_usage(self, usage: dict[str, Any]) -> None:
        self.prompt_tokens = usage.get('promptTokenCount', self.prompt_tokens)
        self.completion_tokens = usage.get('candidatesTokenCount', self.completion_tokens)

    def finish(self, candidate: dict[str, Any]) -> None:
        reason = candidate['finishReason']
        if reason in BLOCKING_FINISH_REASONS:
            raise blocked_error(reason, candidate.get('safetyRatings') or [])
        self.finish_reason = FINISH_REASONS.get(reason, reason.lower())

    def final_delta(self) -> Delta:
        return Delta('', self.finish_reason, self.prompt_tokens, self.completion_tokens)


async def _deltas(lines: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the SSE chunks; Gemini sends no end marker, so a stream without a finish reason was cut off."""
    reply = _Reply()
    async for line in lines:
        if not line.startswith('data:'):
            continue
        chunk = parse_json_object(line[5:].strip())
        if 'error' in chunk:
            raise stream_error(chunk)
        feedback = chunk.get('promptFeedback') or {}
        if feedback.get('blockReason'):
            raise blocked_error(f"{feedback['blockReason']} in the prompt", feedback.get('safetyRatings') or [])
        reply.read_usage(chunk.get('usageMetadata') or {})
        candidate = (chunk.get('candidates') or [{}])[0]
        text = _text(candidate)
        if text:
            yield Delta(text)
        if candidate.get('finishReason'):
            reply.finish(candidate)
    if reply.finish_reason is None:
        raise truncated_error()
    yield reply.final_delta()


def _text(candidate: dict[str, Any]) -> str:
    """The visible text of a candidate; thought summaries (`"thought": true`) are not part of the reply."""
    parts = (candidate.get('content') or {}).get('parts') or []
    return ''.join(part.get('text') or '' for part in parts if not part.get('thought'))
