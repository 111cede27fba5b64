"""The Gemini adapter against a fake Generative Language API that speaks the documented SSE chunks over real HTTP."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import httpx
import pytest

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
from app.services.providers.gemini import GeminiProvider
from tests.providers.sampler_cases import EVERY_SAMPLER
from tests.support.fake_gemini import FakeGemini, Script, running_fake_gemini

MODEL = 'gemini-2.0-flash'
SAFETY_SETTINGS = [{'category': 'HARM_CATEGORY_HARASSMENT', 'threshold': 'BLOCK_NONE'}]


@pytest.fixture(scope='module')
def fake_gemini() -> Iterator[FakeGemini]:
    with running_fake_gemini() as fake:
        yield fake


@pytest.fixture(autouse=True)
def reset(fake_gemini: FakeGemini) -> None:
    fake_gemini.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


@pytest.fixture
def provider(fake_gemini: FakeGemini, client: httpx.AsyncClient) -> GeminiProvider:
    return GeminiProvider(fake_gemini.base_url, 'AIza-test', client=client)


def request(*messages: ChatMessage, model: str = MODEL, **sampler: object) -> GenerationRequest:
    chat = list(messages) or [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi', 'Alex')]
    return GenerationRequest(model=model, messages=chat, sampler=SamplerSettings(**sampler))


async def collect(provider: GeminiProvider, generation: GenerationRequest, into: list[str]) -> None:
    async for delta in provider.stream(generation):
        into.append(delta.text)


async def test_streams_text_then_finish_reason_and_usage(provider: GeminiProvider) -> None:
    deltas = [d async for d in provider.stream(request())]
    assert [d.text for d in deltas] == ['Hello', ' there', '!', '']
    assert all(d.finish_reason is None for d in deltas[:-1])
    assert (deltas[-1].finish_reason, deltas[-1].prompt_tokens, deltas[-1].completion_tokens) == ('stop', 11, 3)


async def test_max_tokens_finishes_with_length(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(finish_reason='MAX_TOKENS')
    deltas = [d async for d in provider.stream(request())]
    assert deltas[-1].finish_reason == 'length'


@pytest.mark.parametrize('model', ['gemini-2.0-flash', 'models/gemini-2.0-flash'])
async def test_posts_to_the_models_stream_endpoint_as_sse(provider: GeminiProvider, fake_gemini: FakeGemini,
                                                          model: str) -> None:
    [d async for d in provider.stream(request(model=model))]
    assert fake_gemini.paths == ['gemini-2.0-flash:streamGenerateContent']
    assert fake_gemini.queries == [{'alt': 'sse'}]
    assert fake_gemini.headers[0]['x-goog-api-key'] == 'AIza-test'
    assert fake_gemini.headers[0]['content-type'] == 'application/json'
    assert 'authorization' not in fake_gemini.headers[0] and 'key' not in fake_gemini.queries[0]


async def test_request_body_is_the_documented_generate_content_shape(fake_gemini: FakeGemini,
                                                                     client: httpx.AsyncClient) -> None:
    provider = GeminiProvider(fake_gemini.base_url, 'AIza-test', client=client,
                              options={'safety_settings': SAFETY_SETTINGS})
    # Every sampler setting is set; only GenerationConfig's are sent, which the fake, like the API, checks.
    chat = [ChatMessage('system', 'Be Mira.'), ChatMessage('assistant', 'Welcome, traveller.'),
            ChatMessage('system', 'Stay in character.'), ChatMessage('user', 'Hi', 'Alex'),
            ChatMessage('user', 'Who are you?'), ChatMessage('assistant', 'I am Mira.')]
    sampler = {**EVERY_SAMPLER, 'extra': {'candidateCount': 1}}
    [d async for d in provider.stream(request(*chat, **sampler))]
    assert fake_gemini.requests == [{
        'contents': [{'role': 'user', 'parts': [{'text': '(continue)'}]},
                     {'role': 'model', 'parts': [{'text': 'Welcome, traveller.'}]},
                     {'role': 'user', 'parts': [{'text': 'Hi\n\nWho are you?'}]},
                     {'role': 'model', 'parts': [{'text': 'I am Mira.'}]}],
        'systemInstruction': {'parts': [{'text': 'Be Mira.\n\nStay in character.'}]},
        'generationConfig': {'maxOutputTokens': 42, 'temperature': 0.7, 'topP': 0.9, 'topK': 40,
                             'stopSequences': ['\nAlex:'], 'seed': 7, 'presencePenalty': 0.3,
                             'frequencyPenalty': 0.2, 'candidateCount': 1},
        'safetySettings': SAFETY_SETTINGS,
    }]


async def test_a_generation_config_field_gemini_lacks_is_refused_like_the_real_api(
        provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    with pytest.raises(ProviderError, match='Unknown name "minP"'):
        [d async for d in provider.stream(request(extra={'minP': 0.05}))]


async def test_unset_fields_are_not_sent(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    [d async for d in provider.stream(request(ChatMessage('user', 'Hi')))]
    assert fake_gemini.requests == [{'contents': [{'role': 'user', 'parts': [{'text': 'Hi'}]}],
                                     'generationConfig': {'maxOutputTokens': 300}}]


def google_error(code: int, status: str, message: str, *details: dict) -> dict:
    return {'error': {'code': code, 'message': message, 'status': status, 'details': list(details)}}


INVALID_KEY = google_error(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.',
                           {'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'API_KEY_INVALID',
                            'domain': 'googleapis.com'})


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'code', 'text'), [
    (400, INVALID_KEY, {}, ProviderAuthError, 'error.provider.key_rejected', 'API key was rejected'),
    (403, google_error(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers.'), {},
     ProviderAuthError, 'error.provider.key_rejected', 'API key was rejected'),
    (404, google_error(404, 'NOT_FOUND', 'models/gemini-nope is not found for API version v1beta'), {},
     ModelNotFoundError, 'error.provider.model_not_found', 'does not know this model: models/gemini-nope'),
    (429, google_error(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
     {'retry-after': '7'}, ProviderRateLimitedError, 'error.provider.rate_limited', 'Try again in 7 seconds'),
    (429, google_error(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.',
                       {'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '37s'}), {},
     ProviderRateLimitedError, 'error.provider.rate_limited', 'Try again in 37 seconds'),
    (503, google_error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), {},
     UpstreamServerError, 'error.provider.upstream', r'HTTP 503\): The model is overloaded'),
    (400, google_error(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of '
                       'tokens allowed (1048576).'), {},
     ContextTooLongError, 'error.provider.context_too_long', 'longer than the model allows'),
    (400, google_error(400, 'INVALID_ARGUMENT', 'Invalid value at \'generation_config.top_k\''), {},
     ProviderError, 'error.provider.rejected', r'HTTP 400\): Invalid value'),
])
async def test_http_errors_become_actionable_errors(provider: GeminiProvider, fake_gemini: FakeGemini, status: int,
                                                    body: dict, headers: dict, error: type, code: str,
                                                    text: str) -> None:
    fake_gemini.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text) as caught:
        [d async for d in provider.stream(request())]
    assert type(caught.value) is error
    assert caught.value.code == code


async def test_rate_limit_carries_the_retry_delay(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(status=429, error_body=google_error(
        429, 'RESOURCE_EXHAUSTED', 'quota', {'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '37s'}))
    with pytest.raises(ProviderRateLimitedError) as caught:
        [d async for d in provider.stream(request())]
    assert caught.value.retry_after == 37


async def test_a_safety_block_keeps_earlier_text_and_says_why(provider: GeminiProvider,
                                                              fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(tokens=['one ', 'two '], finish_reason='SAFETY')
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        await collect(provider, request(), received)
    assert received == ['one ', 'two ']
    assert caught.value.code == 'error.provider.blocked'
    assert caught.value.message == "The reply was blocked by the provider's safety filter (SAFETY: harassment)."
    assert caught.value.params == {'reason': 'SAFETY: harassment'}


@pytest.mark.parametrize('reason', ['RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST'])
async def test_other_blocking_finish_reasons_are_blocked(provider: GeminiProvider, fake_gemini: FakeGemini,
                                                         reason: str) -> None:
    fake_gemini.script = Script(finish_reason=reason)
    with pytest.raises(ProviderError, match=f'safety filter \\({reason}: harassment\\)') as caught:
        [d async for d in provider.stream(request())]
    assert caught.value.code == 'error.provider.blocked'


async def test_a_blocked_prompt_is_reported(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(block_prompt='PROHIBITED_CONTENT')
    received: list[str] = []
    with pytest.raises(ProviderError, match=re.escape('(PROHIBITED_CONTENT in the prompt: harassment)')) as caught:
        await collect(provider, request(), received)
    assert received == []
    assert caught.value.code == 'error.provider.blocked'


async def test_an_error_chunk_mid_stream_keeps_earlier_text(provider: GeminiProvider,
                                                            fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(tokens=['one ', 'two ', 'three'], error_after=2)
    received: list[str] = []
    with pytest.raises(ProviderError, match=re.escape('reported an error: An internal error has occurred.')) as caught:
        await collect(provider, request(), received)
    assert received == ['one ', 'two ']
    assert caught.value.code == 'error.provider.stream_error'


async def test_invalid_json_mid_stream_is_malformed(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(tokens=['one ', 'two '], malformed_after=1)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='not valid JSON') as caught:
        await collect(provider, request(), received)
    assert received == ['one ']
    assert caught.value.code == 'error.provider.malformed'


async def test_a_stream_without_finish_reason_is_truncated(provider: GeminiProvider,
                                                           fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished') as caught:
        await collect(provider, request(), received)
    assert received == ['one ', 'two ']
    assert caught.value.code == 'error.provider.truncated'


async def test_stopping_early_closes_the_upstream_request(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(tokens=['tick '] * 50, delay=0.2)
    async with aclosing(provider.stream(request())) as stream:
        async for delta in stream:
            assert delta.text == 'tick '
            break
    for _ in range(20):
        if fake_gemini.disconnects:
            break
        await asyncio.sleep(0.1)
    assert fake_gemini.disconnects == 1


async def test_models_that_generate_content_are_listed_across_pages(provider: GeminiProvider,
                                                                    fake_gemini: FakeGemini) -> None:
    assert await provider.list_models() == [ModelInfo('gemini-2.0-flash', 'Gemini 2.0 Flash', 1048576),
                                            ModelInfo('gemini-2.5-pro', 'Gemini 2.5 Pro', 1048576)]
    assert fake_gemini.queries == [{'pageSize': '1000'}, {'pageSize': '1000', 'pageToken': '2'}]
    assert fake_gemini.headers[0]['x-goog-api-key'] == 'AIza-test'


async def test_listing_models_with_an_invalid_key_fails(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.script = Script(status=400, error_body=INVALID_KEY)
    with pytest.raises(ProviderAuthError, match='API key was rejected'):
        await provider.list_models()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


async def test_an_unreachable_server_names_the_address(client: httpx.AsyncClient) -> None:
    url = f'http://127.0.0.1:{closed_port()}/v1beta'
    with pytest.raises(ProviderUnreachableError, match=re.escape(f'Cannot reach {url}')) as caught:
        [d async for d in GeminiProvider(url, 'AIza-test', client=client).stream(request())]
    assert caught.value.code == 'error.provider.unreachable'
