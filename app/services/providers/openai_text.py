"""OpenAI-style legacy text completions (llama.cpp server, vLLM, KoboldCpp's /v1, OpenRouter, text-generation-webui).

Streams `POST {base}/completions` as Server-Sent Events. Chat messages are rendered into one prompt with the
connection's instruct template, whose turn-ending strings are added to the stop strings, so base and instruct
models that only offer text completion can still chat.

These servers share OpenAI's body but each adds its own samplers, sometimes under its own name; like SillyTavern,
the adapter sends a setting under every common name (`repeat_penalty` for llama.cpp beside `repetition_penalty`,
`ignore_eos` for vLLM and llama.cpp beside text-generation-webui's `ban_eos_token`) and servers skip the ones they
do not know. Dynamic temperature goes out as text-generation-webui's bounds and llama.cpp's midpoint and range.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import Delta, GenerationRequest, ModelInfo, SamplerSettings
from .http_errors import raise_for_status, stream_error, transport_errors
from .instruct_templates import render_prompt
from .openai_compatible import list_openai_models
from .sampler_wire import dynamic_temperature, renamed
from .stream_parsing import parse_json_object, sse_data, truncated_error

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_TEMPLATE = 'chatml'
NO_FINISH = (None, '', 'null')
WIRE_NAMES = {
    'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'min_p': 'min_p', 'typical_p': 'typical_p',
    'tfs': ('tfs', 'tfs_z'), 'top_a': 'top_a', 'epsilon_cutoff': 'epsilon_cutoff', 'eta_cutoff': 'eta_cutoff',
    'repetition_penalty': ('repetition_penalty', 'repeat_penalty'),
    'repetition_penalty_range': ('repetition_penalty_range', 'repeat_last_n'),
    'frequency_penalty': 'frequency_penalty', 'presence_penalty': 'presence_penalty',
    'no_repeat_ngram_size': 'no_repeat_ngram_size', 'mirostat_mode': ('mirostat_mode', 'mirostat'),
    'mirostat_tau': 'mirostat_tau', 'mirostat_eta': 'mirostat_eta', 'dry_multiplier': 'dry_multiplier',
    'dry_base': 'dry_base', 'dry_allowed_length': 'dry_allowed_length', 'dry_penalty_last_n': 'dry_penalty_last_n',
    'dry_sequence_breakers': 'dry_sequence_breakers', 'xtc_threshold': 'xtc_threshold',
    'xtc_probability': 'xtc_probability', 'dynatemp_exponent': 'dynatemp_exponent',
    'smoothing_factor': 'smoothing_factor', 'smoothing_curve': 'smoothing_curve', 'seed': 'seed',
    'logit_bias': 'logit_bias', 'banned_strings': ('banned_strings', 'bad_words'),
    'ban_eos_token': ('ban_eos_token', 'ignore_eos'), 'min_length': ('min_length', 'min_tokens'),
}


class OpenAICompatibleTextProvider:
    """One text-completion server; `options` may hold `instruct_template` (a name from `TEMPLATE_NAMES`)."""

    SUPPORTED_SAMPLERS = frozenset({'max_tokens', 'stop', 'min_temp', 'max_temp', 'banned_tokens', *WIRE_NAMES})

    def __init__(self, base_url: str, api_key: str | None = None, *, client: httpx.AsyncClient | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.base_url = base_url.strip().rstrip('/')
        self.headers = {'Authorization': f'Bearer {api_key}'} if api_key else {}
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self.options = options or {}

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        body = request_body(request, self.options)
        async with transport_errors(self.base_url), self.client.stream(
                'POST', f'{self.base_url}/completions', json=body, headers=self.headers) as response:
            await raise_for_status(response)
            async for delta in _deltas(sse_data(response)):
                yield delta

    async def list_models(self) -> list[ModelInfo]:
        return await list_openai_models(self.client, self.base_url, self.headers)


def prompt_and_stop(request: GenerationRequest, options: dict[str, Any]) -> tuple[str, list[str]]:
    """The text prompt and stop strings: `request.prompt` as given, or the messages in the instruct template."""
    if request.prompt is not None:
        return request.prompt, list(request.sampler.stop)
    rendered = render_prompt(request.messages, options.get('instruct_template') or DEFAULT_TEMPLATE)
    return rendered.prompt, list(dict.fromkeys([*request.sampler.stop, *rendered.stop]))


def request_body(request: GenerationRequest, options: dict[str, Any]) -> dict[str, Any]:
    """The `/completions` body: the prompt, stop strings with the template's, and the sampler settings that are set."""
    prompt, stop = prompt_and_stop(request, options)
    sampler = request.sampler
    named = {'model': request.model or None, 'prompt': prompt, 'stream': True, 'max_tokens': sampler.max_tokens,
             **_sampler_fields(sampler), 'stop': stop or None, 'stream_options': {'include_usage': True}}
    return without_none(named | sampler.extra)


def _sampler_fields(sampler: SamplerSettings) -> dict[str, Any]:
    """The sampler settings under every common server's names; banned token ids as text-generation-webui's list."""
    fields = renamed(sampler, WIRE_NAMES)
    if sampler.banned_tokens:
        fields['custom_token_bans'] = ','.join(str(token) for token in sampler.banned_tokens)
    dynamic = dynamic_temperature(sampler)
    if dynamic is not None:
        fields.update(temperature=dynamic[0], dynatemp_range=dynamic[1], dynamic_temperature=True,
                      dynatemp_low=sampler.min_temp, dynatemp_high=sampler.max_temp)
    return fields


def without_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


async def _deltas(payloads: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """Parse the chunks; `[DONE]` ends the reply, and so does the connection closing after a finish reason."""
    finished = False
    async for data in payloads:
        if data == '[DONE]':
            return
        chunk = parse_json_object(data)
        if 'error' in chunk:
            raise stream_error(chunk)
        usage = chunk.get('usage') or {}
        for choice in chunk.get('choices') or [{}]:
            text = choice.get('text') or ''
            reason = None if choice.get('finish_reason') in NO_FINISH else choice['finish_reason']
            finished = finished or reason is not None
            if text or reason or usage:
                yield Delta(text, reason, usage.get('prompt_tokens'), usage.get('completion_tokens'))
    if not finished:
        raise truncated_error()
