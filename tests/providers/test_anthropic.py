"""The Anthropic adapter against a fake Messages API that speaks the documented SSE events over real HTTP."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import httpx
import pytest

from app.services.providers.anthropic import AnthropicProvider
from app.services.providers.base import (
    ChatMessage,
    ContextTooLongError,
    GenerationRequest,
    MalformedStreamError,
    ModelInfo,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderUnreachableError,
    SamplerSettings,
    UpstreamServerError,
)
from tests.providers.sampler_cases import EVERY_SAMPLER
from tests.support.fake_anthropic import FakeAnthropic, Script, running_fake_anthropic

MODEL = 'claude-sonnet-4-5'


@pytest.fixture(scope='module')
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with running_fake_anthropic() as fake:
        yield fake


@pytest.fixture(autouse=True)
def reset(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reset()


@pytest.fixture
async def provider(fake_anthropic: FakeAnthropic) -> AsyncIterator[AnthropicProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield AnthropicProvider(fake_anthropic.base_url, 'sk-ant-test', client=client)


def request(*messages: ChatMessage, **sampler: object) -> GenerationRequest:
    chat = list(messages) or [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi', 'Alex')]
    return GenerationRequest(model=MODEL, messages=chat, sampler=SamplerSettings(**sampler))


async def collect(provider: AnthropicProvider, generation: GenerationRequest, into: list[str]) -> None:
    async for delta in provider.stream(generation):
        into.append(delta.text)


async def test_streams_text_then_finish_reason_and_usage(provider: AnthropicProvider) -> None:
    deltas = [d async for d in provider.stream(request())]
    assert [d.text for d in deltas] == ['Hello', ' there', '!', '']
    assert all(d.finish_reason is None for d in deltas[:-1])
    assert (deltas[-1].finish_reason, deltas[-1].prompt_tokens, deltas[-1].completion_tokens) == ('stop', 11, 3)


@pytest.mark.parametrize(('stop_reason', 'finish_reason'), [
    ('end_turn', 'stop'), ('stop_sequence', 'stop'), ('max_tokens', 'length'),
])
async def test_stop_reasons_map_to_finish_reasons(provider: AnthropicProvider, fake_anthropic: FakeAnthropic,
                                                  stop_reason: str, finish_reason: str) -> None:
    fake_anthropic.script = Script(stop_reason=stop_reason)
    deltas = [d async for d in provider.stream(request())]
    assert deltas[-1].finish_reason == finish_reason


async def test_request_body_is_the_documented_messages_shape(provider: AnthropicProvider,
                                                             fake_anthropic: FakeAnthropic) -> None:
    """Every sampler setting is set; only Claude's own (temperature, top-p, top-k, stop sequences) are sent, which
    the fake, like the API, would refuse otherwise."""
    chat = [ChatMessage('system', 'Be Mira.'), ChatMessage('assistant', 'Welcome, traveller.'),
            ChatMessage('system', 'Stay in character.'), ChatMessage('user', 'Hi', 'Alex'),
            ChatMessage('user', 'Who are you?'), ChatMessage('assistant', 'I am Mira. ')]
    sampler = {**EVERY_SAMPLER, 'extra': {'metadata': {'user_id': 'u-1'}}}
    [d async for d in provider.stream(request(*chat, **sampler))]
    assert fake_anthropic.requests == [{
        'model': MODEL, 'max_tokens': 42, 'stream': True, 'system': 'Be Mira.\n\nStay in character.',
        'messages': [{'role': 'user', 'content': '(continue)'},
                     {'role': 'assistant', 'content': 'Welcome, traveller.'},
                     {'role': 'user', 'content': 'Hi\n\nWho are you?'},
                     {'role': 'assistant', 'content': 'I am Mira.'}],
        'temperature': 0.7, 'top_p': 0.9, 'top_k': 40, 'stop_sequences': ['\nAlex:'],
        'metadata': {'user_id': 'u-1'},
    }]


async def test_unset_sampler_fields_and_an_absent_system_prompt_are_not_sent(
        provider: AnthropicProvider, fake_anthropic: FakeAnthropic) -> None:
    [d async for d in provider.stream(request(ChatMessage('user', 'Hi')))]
    assert fake_anthropic.requests == [{'model': MODEL, 'max_tokens': 300, 'stream': True,
                                        'messages': [{'role': 'user', 'content': 'Hi'}]}]


async def test_a_field_the_api_does_not_define_is_refused_like_the_real_api(
        provider: AnthropicProvider, fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(ProviderError, match='min_p: Extra inputs are not permitted'):
        [d async for d in provider.stream(request(extra={'min_p': 0.05}))]


async def test_sends_the_key_and_api_version_headers(provider: AnthropicProvider,
                                                     fake_anthropic: FakeAnthropic) -> None:
    [d async for d in provider.stream(request())]
    headers = fake_anthropic.headers[0]
    assert headers['x-api-key'] == 'sk-ant-test'
    assert headers['anthropic-version'] == '2023-06-01'
    assert headers['content-type'] == 'application/json'
    assert 'authorization' not in headers


def anthropic_error(kind: str, message: str) -> dict:
    return {'type': 'error', 'error': {'type': kind, 'message': message}, 'request_id': 'req_1'}


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'code', 'text'), [
    (401, anthropic_error('authentication_error', 'invalid x-api-key'), {}, ProviderAuthError,
     'error.provider.key_rejected', 'API key was rejected'),
    (404, anthropic_error('not_found_error', 'model: claude-nope'), {}, ModelNotFoundError,
     'error.provider.model_not_found', 'does not know this model: model: claude-nope'),
    (429, anthropic_error('rate_limit_error', 'Number of request tokens has exceeded your rate limit'),
     {'retry-after': '7'}, ProviderRateLimitedError, 'error.provider.rate_limited', 'Try again in 7 seconds'),
    (529, anthropic_error('overloaded_error', 'Overloaded'), {}, UpstreamServerError, 'error.provider.upstream',
     r'HTTP 529\): Overloaded'),
    (500, anthropic_error('api_error', 'Internal server error'), {}, UpstreamServerError, 'error.provider.upstream',
     r'HTTP 500\): Internal server error'),
    (400, anthropic_error('invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'), {},
     ContextTooLongError, 'error.provider.context_too_long', 'longer than the model allows'),
    (400, anthropic_error('invalid_request_error', 'temperature: range: 0..1'), {}, ProviderError,
     'error.provider.rejected', r'HTTP 400\): temperature: range: 0..1'),
])
async def test_http_errors_become_actionable_errors(provider: AnthropicProvider, fake_anthropic: FakeAnthropic,
                                                    status: int, body: dict, headers: dict, error: type, code: str,
                                                    text: str) -> None:
    fake_anthropic.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text) as caught:
        [d async for d in provider.stream(request())]
    assert type(caught.value) is error
    assert caught.value.code == code


async def test_rate_limit_carries_the_seconds(provider: AnthropicProvider, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(status=429, error_body=anthropic_error('rate_limit_error', 'slow down'),
                                   headers={'retry-after': '12'})
    with pytest.raises(ProviderRateLimitedError) as caught:
        [d async for d in provider.stream(request())]
    assert caught.value.retry_after == 12


async def test_an_error_event_mid_stream_keeps_earlier_text(provider: AnthropicProvider,
                                                            fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(tokens=['one ', 'two ', 'three'], error_after=2)
    received: list[str] = []
    with pytest.raises(ProviderError, match='reported an error: Overloaded') as caught:
        await collect(provider, request(), received)
    assert received == ['one ', 'two ']
    assert caught.value.code == 'error.provider.stream_error'


async def test_a_refusal_is_reported_as_blocked_after_the_text(provider: AnthropicProvider,
                                                               fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(tokens=['I will not'], stop_reason='refusal')
    received: list[str] = []
    with pytest.raises(ProviderError, match=r"blocked by the provider's safety filter \(refusal\)") as caught:
        await collect(provider, request(), received)
    assert received == ['I will not']
    assert caught.value.code == 'error.provider.blocked'


async def test_invalid_json_mid_stream_is_malformed(provider: AnthropicProvider,
                                                    fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(tokens=['one ', 'two '], malformed_after=1)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='not valid JSON') as caught:
        await collect(provider, request(), received)
    assert received == ['one ']
    assert caught.value.code == 'error.provider.malformed'


async def test_a_dropped_stream_keeps_what_arrived_then_fails(provider: AnthropicProvider,
                                                              fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished') as caught:
        await collect(provider, request(), received)
    assert received == ['one ', 'two ']
    assert caught.value.code == 'error.provider.truncated'


async def test_stopping_early_closes_the_upstream_request(provider: AnthropicProvider,
                                                          fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(tokens=['tick '] * 50, delay=0.2)
    async with aclosing(provider.stream(request())) as stream:
        async for delta in stream:
            assert delta.text == 'tick '
            break
    for _ in range(20):
        if fake_anthropic.disconnects:
            break
        await asyncio.sleep(0.1)
    assert fake_anthropic.disconnects == 1


async def test_models_are_listed_across_pages(provider: AnthropicProvider, fake_anthropic: FakeAnthropic) -> None:
    assert await provider.list_models() == [ModelInfo('claude-sonnet-4-5', 'Claude Sonnet 4.5'),
                                            ModelInfo('claude-haiku-4-5', 'Claude Haiku 4.5'),
                                            ModelInfo('claude-opus-4-1', 'Claude Opus 4.1')]
    assert fake_anthropic.queries == [{'limit': '1000'}, {'limit': '1000', 'after_id': 'claude-haiku-4-5'}]
    assert fake_anthropic.headers[0]['x-api-key'] == 'sk-ant-test'


async def test_listing_models_with_a_rejected_key_fails(provider: AnthropicProvider,
                                                        fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script = Script(status=401, error_body=anthropic_error('authentication_error', 'invalid x-api-key'))
    with pytest.raises(ProviderAuthError, match='API key was rejected'):
        await provider.list_models()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


async def test_an_unreachable_server_names_the_address() -> None:
    url = f'http://127.0.0.1:{closed_port()}/v1'
    async with httpx.AsyncClient(timeout=10) as client:
        with pytest.raises(ProviderUnreachableError, match=re.escape(f'Cannot reach {url}')) as caught:
            [d async for d in AnthropicProvider(url, 'sk-ant-test', client=client).stream(request())]
    assert caught.value.code == 'error.provider.unreachable'
