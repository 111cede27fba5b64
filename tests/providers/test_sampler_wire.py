"""Each adapter sends exactly the sampler settings it declares in `SUPPORTED_SAMPLERS`: changing a declared setting
changes the request body, changing any other leaves the body as it was. The kind registry reports these sets, and
each matches what its backend's API documents. The OpenAI chat adapter's full body is checked over real HTTP here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.services.providers import anthropic, gemini, koboldcpp, ollama, openai_compatible, openai_text
from app.services.providers.base import ChatMessage, GenerationRequest, SamplerSettings
from app.services.providers.kinds import BUILT_IN_KINDS, LOCAL_KIND, PROVIDER_KINDS, supported_samplers
from app.services.providers.local_llama import LocalLlamaProvider, sampling_options
from app.services.providers.openai_compatible import OpenAICompatibleProvider
from tests.support.fake_openai import FakeOpenAI

from .sampler_cases import SAMPLER_FIELDS, every_sampler, every_sampler_but


def _request(sampler: SamplerSettings) -> GenerationRequest:
    return GenerationRequest(model='m', messages=[ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi')],
                             sampler=sampler)


BODIES: dict[str, Callable[[SamplerSettings], dict[str, Any]]] = {
    'openai': lambda sampler: openai_compatible.request_body(_request(sampler)),
    'openai_text': lambda sampler: openai_text.request_body(_request(sampler), {}),
    'anthropic': lambda sampler: anthropic.request_body(_request(sampler)),
    'gemini': lambda sampler: gemini.request_body(_request(sampler)),
    'koboldcpp': lambda sampler: koboldcpp.request_body(_request(sampler), {}, 'KCPPfixed'),
    'ollama': lambda sampler: ollama.request_body(_request(sampler), {}),
    LOCAL_KIND: sampling_options,
}
LOCAL_OUTSIDE_OPTIONS = ('stop', 'logit_bias')
"""The embedded model gets these beside `sampling_options` (stop strings merged with the template's, logit bias
tokenized by the model); tests/providers/test_local_llama.py checks them with the real model."""

EXPECTED = {
    'openai': {'max_tokens', 'stop', 'temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty',
               'frequency_penalty', 'presence_penalty', 'seed', 'logit_bias'},
    'anthropic': {'max_tokens', 'stop', 'temperature', 'top_p', 'top_k'},
    'gemini': {'max_tokens', 'stop', 'temperature', 'top_p', 'top_k', 'seed', 'presence_penalty', 'frequency_penalty'},
    'koboldcpp': {'max_tokens', 'stop', 'temperature', 'top_p', 'top_k', 'top_a', 'typical_p', 'tfs', 'min_p',
                  'repetition_penalty', 'repetition_penalty_range', 'repetition_penalty_slope', 'presence_penalty',
                  'mirostat_mode', 'mirostat_tau', 'mirostat_eta', 'dry_multiplier', 'dry_base', 'dry_allowed_length',
                  'dry_penalty_last_n', 'dry_sequence_breakers', 'xtc_threshold', 'xtc_probability', 'min_temp',
                  'max_temp', 'dynatemp_exponent', 'smoothing_factor', 'seed', 'banned_tokens', 'banned_strings',
                  'logit_bias', 'ban_eos_token'},
    'ollama': {'max_tokens', 'stop', 'temperature', 'top_k', 'top_p', 'min_p', 'typical_p', 'tfs',
               'repetition_penalty', 'repetition_penalty_range', 'mirostat_mode', 'mirostat_tau', 'mirostat_eta',
               'seed', 'presence_penalty', 'frequency_penalty'},
    'openai_text': set(SAMPLER_FIELDS) - {'repetition_penalty_slope'},
    LOCAL_KIND: {'max_tokens', 'stop', 'temperature', 'top_p', 'top_k', 'min_p', 'typical_p', 'tfs',
                 'repetition_penalty', 'frequency_penalty', 'presence_penalty', 'mirostat_mode', 'mirostat_tau',
                 'mirostat_eta', 'seed', 'logit_bias'},
}
CASES = [(kind, key) for kind in BODIES for key in SAMPLER_FIELDS
         if not (kind == LOCAL_KIND and key in LOCAL_OUTSIDE_OPTIONS)]


@pytest.mark.parametrize(('kind', 'key'), CASES)
def test_a_setting_reaches_the_body_exactly_when_the_adapter_declares_it(kind: str, key: str) -> None:
    """The temperature is compared without dynamic temperature, which replaces it by its midpoint where offered."""
    others_unset = ('min_temp', 'max_temp') if key == 'temperature' else ()
    changed = BODIES[kind](every_sampler_but(*others_unset)) != BODIES[kind](every_sampler_but(key, *others_unset))
    assert changed == (key in supported_samplers(kind))


@pytest.mark.parametrize('kind', EXPECTED)
def test_each_kind_accepts_what_its_api_documents(kind: str) -> None:
    assert supported_samplers(kind) == EXPECTED[kind]


def test_the_registry_reads_the_sets_from_the_adapters() -> None:
    assert set(BUILT_IN_KINDS) | {LOCAL_KIND} == set(EXPECTED)  # plugins may have added kinds of their own
    assert all(PROVIDER_KINDS[kind].samplers == PROVIDER_KINDS[kind].adapter.SUPPORTED_SAMPLERS
               for kind in BUILT_IN_KINDS)
    assert supported_samplers(LOCAL_KIND) == LocalLlamaProvider.SUPPORTED_SAMPLERS


async def test_openai_chat_sends_every_supported_setting_under_openai_names(fake_openai: FakeOpenAI) -> None:
    fake_openai.requests.clear()
    [d async for d in OpenAICompatibleProvider(fake_openai.base_url).stream(_request(every_sampler()))]
    assert fake_openai.requests == [{
        'model': 'm', 'stream': True, 'stream_options': {'include_usage': True},
        'messages': [{'role': 'system', 'content': 'Be Mira.'}, {'role': 'user', 'content': 'Hi'}],
        'max_tokens': 42, 'temperature': 0.7, 'top_p': 0.9, 'top_k': 40, 'min_p': 0.05, 'repetition_penalty': 1.1,
        'repeat_penalty': 1.1, 'frequency_penalty': 0.2, 'presence_penalty': 0.3, 'seed': 7,
        'logit_bias': {'15043': -5.0, ' dragon': 2.0}, 'stop': ['\nAlex:'],
    }]
