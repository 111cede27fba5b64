"""The OpenAI-compatible text-completion adapter over real HTTP against a fake `/v1/completions` server: streamed
text, finish reason and usage, the exact request body (template prompt, merged stop strings, sampler names), the
key header, HTTP and mid-stream errors, cut-off replies, KoboldCpp's /v1 quirks, disconnecting when the reader
leaves, the model list and an unreachable server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from app.errors import InvalidInputError
from app.services.providers.base import (
    ChatMessage,
    ContextTooLongError,
    Delta,
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
from app.services.providers.openai_text import OpenAICompatibleTextProvider
from tests.providers.sampler_cases import every_sampler
from tests.support.fake_openai_text import PROMPT_TOKENS, STREAM_ERROR, FakeOpenAIText, Script, running_fake_openai_text

MODEL = 'llama-3-8b-instruct'
CHATML_PROMPT = ('<|im_start|>system\nBe Mira.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n'
                 '<|im_start|>assistant\n')
CHATML_STOP = ['<|im_end|>', '<|im_start|>']


@pytest.fixture(scope='module')
def fake_text() -> Iterator[FakeOpenAIText]:
    """One fake text-completion server for this module; tests script it through `fake_text.script`."""
    with running_fake_openai_text() as server:
        yield server


@pytest.fixture(autouse=True)
def reset(fake_text: FakeOpenAIText) -> None:
    fake_text.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


def request(model: str = MODEL, prompt: str | None = None, **sampler: Any) -> GenerationRequest:
    messages = [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi', 'Alex')]
    return GenerationRequest(model=model, messages=messages, prompt=prompt, sampler=SamplerSettings(**sampler))


async def collect(provider: OpenAICompatibleTextProvider, generation: GenerationRequest | None = None) -> list[Delta]:
    return [delta async for delta in provider.stream(generation or request())]


async def collect_until_error(provider: OpenAICompatibleTextProvider, received: list[str]) -> None:
    async for delta in provider.stream(request()):
        received.append(delta.text)


async def test_streams_text_then_finish_reason_then_usage(fake_text: FakeOpenAIText,
                                                          client: httpx.AsyncClient) -> None:
    deltas = await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert deltas == [Delta('Hello'), Delta(' there'), Delta('!'), Delta('', 'stop'),
                      Delta('', None, PROMPT_TOKENS, 3)]
    assert fake_text.disconnects == 0


async def test_a_reply_cut_at_the_token_limit_reports_length(fake_text: FakeOpenAIText,
                                                             client: httpx.AsyncClient) -> None:
    fake_text.script = Script(tokens=['Once', ' upon'], finish_reason='length')
    deltas = await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert deltas[-2:] == [Delta('', 'length'), Delta('', None, PROMPT_TOKENS, 2)]


async def test_every_sampler_setting_reaches_the_wire(fake_text: FakeOpenAIText, client: httpx.AsyncClient) -> None:
    """Each setting goes out under the names llama.cpp, vLLM and text-generation-webui read; dynamic temperature as
    webui's bounds and llama.cpp's midpoint and range. Only KoboldCpp's repetition penalty slope is left out."""
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client),
                  GenerationRequest(model=MODEL, messages=request().messages, sampler=every_sampler()))
    assert fake_text.requests == [{
        'model': MODEL, 'prompt': CHATML_PROMPT, 'stream': True, 'max_tokens': 42, 'temperature': 1.0,
        'dynamic_temperature': True, 'dynatemp_low': 0.5, 'dynatemp_high': 1.5, 'dynatemp_range': 0.5,
        'dynatemp_exponent': 1.2, 'top_p': 0.9, 'top_k': 40, 'min_p': 0.05, 'typical_p': 0.95, 'tfs': 0.97,
        'tfs_z': 0.97, 'top_a': 0.2, 'epsilon_cutoff': 3.0, 'eta_cutoff': 4.0, 'repetition_penalty': 1.1,
        'repeat_penalty': 1.1, 'repetition_penalty_range': 320, 'repeat_last_n': 320, 'frequency_penalty': 0.2,
        'presence_penalty': 0.3, 'no_repeat_ngram_size': 3, 'mirostat_mode': 2, 'mirostat': 2, 'mirostat_tau': 5.5,
        'mirostat_eta': 0.15, 'dry_multiplier': 0.8, 'dry_base': 1.75, 'dry_allowed_length': 2,
        'dry_penalty_last_n': 1024, 'dry_sequence_breakers': ['\n', ':'], 'xtc_threshold': 0.1,
        'xtc_probability': 0.5, 'smoothing_factor': 0.3, 'smoothing_curve': 1.5, 'seed': 7,
        'logit_bias': {'15043': -5.0, ' dragon': 2.0}, 'custom_token_bans': '11,12', 'banned_strings': ['As an AI'],
        'bad_words': ['As an AI'], 'ban_eos_token': True, 'ignore_eos': True, 'min_length': 10, 'min_tokens': 10,
        'stop': ['\nAlex:', '<|im_end|>', '<|im_start|>'], 'stream_options': {'include_usage': True},
    }]


async def test_extra_fields_override_the_named_ones(fake_text: FakeOpenAIText, client: httpx.AsyncClient) -> None:
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client),
                  request(temperature=0.7, top_k=40, extra={'grammar': 'root ::= "x"', 'temperature': 0.5,
                                                             'top_k': None}))
    body = fake_text.requests[0]
    assert (body['temperature'], body['grammar'], 'top_k' in body) == (0.5, 'root ::= "x"', False)


async def test_unset_values_and_an_empty_model_are_not_sent(fake_text: FakeOpenAIText,
                                                            client: httpx.AsyncClient) -> None:
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client, options={'instruct_template': None}),
                  request(model=''))
    assert fake_text.requests == [{'prompt': CHATML_PROMPT, 'stream': True, 'max_tokens': 300, 'stop': CHATML_STOP,
                                   'stream_options': {'include_usage': True}}]


async def test_the_connection_template_renders_the_prompt(fake_text: FakeOpenAIText,
                                                          client: httpx.AsyncClient) -> None:
    provider = OpenAICompatibleTextProvider(fake_text.base_url, client=client, options={'instruct_template': 'llama3'})
    await collect(provider, request(stop=['\nAlex:']))
    body = fake_text.requests[0]
    assert body['prompt'] == ('<|start_header_id|>system<|end_header_id|>\n\nBe Mira.<|eot_id|>'
                              '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>'
                              '<|start_header_id|>assistant<|end_header_id|>\n\n')
    assert body['stop'] == ['\nAlex:', '<|eot_id|>', '<|start_header_id|>']


async def test_a_raw_prompt_is_sent_as_given_without_template_stops(fake_text: FakeOpenAIText,
                                                                    client: httpx.AsyncClient) -> None:
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client),
                  request(prompt='Mira: Hello!\nAlex:', stop=['\nMira:']))
    assert fake_text.requests[0]['prompt'] == 'Mira: Hello!\nAlex:'
    assert fake_text.requests[0]['stop'] == ['\nMira:']


async def test_an_unknown_template_fails_before_any_request(fake_text: FakeOpenAIText,
                                                            client: httpx.AsyncClient) -> None:
    provider = OpenAICompatibleTextProvider(fake_text.base_url, client=client, options={'instruct_template': 'vicuna'})
    with pytest.raises(InvalidInputError, match='Unknown instruct template "vicuna"') as raised:
        await collect(provider)
    assert raised.value.code == 'error.provider.unknown_template'
    assert fake_text.requests == []


async def test_a_key_is_sent_as_a_bearer_token(fake_text: FakeOpenAIText, client: httpx.AsyncClient) -> None:
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, 'sk-text', client=client))
    await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert fake_text.headers[0]['authorization'] == 'Bearer sk-text'
    assert 'authorization' not in fake_text.headers[1]


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'code', 'text'), [
    (401, {'error': {'message': 'Invalid API Key', 'type': 'authentication_error'}}, {}, ProviderAuthError,
     'error.provider.key_rejected', 'API key was rejected'),
    (404, {'error': {'message': 'The model `gpt-5-base` does not exist.', 'type': 'NotFoundError'}}, {},
     ModelNotFoundError, 'error.provider.model_not_found', 'The model `gpt-5-base` does not exist'),
    (429, {'error': {'message': 'Rate limit exceeded'}}, {'Retry-After': '7'}, ProviderRateLimitedError,
     'error.provider.rate_limited', 'in 7 seconds'),
    (503, {'error': {'message': 'Loading model', 'type': 'unavailable_error', 'code': 503}}, {}, UpstreamServerError,
     'error.provider.upstream', r'\(HTTP 503\): Loading model'),
    (400, {'object': 'error', 'message': "This model's maximum context length is 8192 tokens. However, you requested "
           '9000 tokens.', 'type': 'BadRequestError'}, {}, ContextTooLongError, 'error.provider.context_too_long',
     'longer than the model allows'),
])
async def test_http_errors_become_actionable_messages(fake_text: FakeOpenAIText, client: httpx.AsyncClient,
                                                      status: int, body: dict[str, Any], headers: dict[str, str],
                                                      error: type[ProviderError], code: str, text: str) -> None:
    fake_text.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text) as raised:
        await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert type(raised.value) is error and raised.value.code == code


async def test_a_rate_limit_carries_the_wait(fake_text: FakeOpenAIText, client: httpx.AsyncClient) -> None:
    fake_text.script = Script(status=429, error_body={'error': {'message': 'slow down'}}, headers={'Retry-After': '7'})
    with pytest.raises(ProviderRateLimitedError) as raised:
        await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert raised.value.retry_after == 7


async def test_an_error_chunk_mid_stream_keeps_what_arrived(fake_text: FakeOpenAIText,
                                                            client: httpx.AsyncClient) -> None:
    fake_text.script = Script(tokens=['one ', 'two ', 'three'], error_after=2)
    received: list[str] = []
    with pytest.raises(ProviderError, match=f'reported an error: {STREAM_ERROR}') as raised:
        await collect_until_error(OpenAICompatibleTextProvider(fake_text.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.stream_error' and raised.value.params == {'detail': STREAM_ERROR}


async def test_a_chunk_that_is_not_json_keeps_what_arrived(fake_text: FakeOpenAIText,
                                                           client: httpx.AsyncClient) -> None:
    fake_text.script = Script(tokens=['one ', 'two ', 'three'], malformed_after=1)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='not valid JSON') as raised:
        await collect_until_error(OpenAICompatibleTextProvider(fake_text.base_url, client=client), received)
    assert received == ['one ']
    assert raised.value.code == 'error.provider.malformed'


@pytest.mark.parametrize('abort', [False, True], ids=['body-ended', 'connection-broken'])
async def test_a_dropped_stream_keeps_what_arrived_then_fails(fake_text: FakeOpenAIText, client: httpx.AsyncClient,
                                                              abort: bool) -> None:
    fake_text.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2, abort=abort)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished') as raised:
        await collect_until_error(OpenAICompatibleTextProvider(fake_text.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.truncated'


async def test_a_finished_reply_without_done_is_complete(fake_text: FakeOpenAIText,
                                                         client: httpx.AsyncClient) -> None:
    fake_text.script = Script(send_done=False)
    deltas = await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert deltas[-2:] == [Delta('', 'stop'), Delta('', None, PROMPT_TOKENS, 3)]


async def test_koboldcpps_null_strings_and_bare_done_are_understood(fake_text: FakeOpenAIText,
                                                                    client: httpx.AsyncClient) -> None:
    fake_text.script = Script(kobold_style=True)
    deltas = await collect(OpenAICompatibleTextProvider(fake_text.base_url, client=client))
    assert deltas == [Delta('Hello'), Delta(' there'), Delta('!'), Delta('', 'stop')]


async def test_leaving_the_stream_early_closes_the_connection(fake_text: FakeOpenAIText,
                                                              client: httpx.AsyncClient) -> None:
    fake_text.script = Script(tokens=['tick'] * 100, delay=0.05)
    received: list[Delta] = []
    async with aclosing(OpenAICompatibleTextProvider(fake_text.base_url, client=client).stream(request())) as deltas:
        async for delta in deltas:
            received.append(delta)
            if len(received) == 2:
                break
    assert received == [Delta('tick'), Delta('tick')]
    deadline = time.monotonic() + 2
    while fake_text.disconnects == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert fake_text.disconnects == 1


async def test_models_are_listed_with_their_context_length(fake_text: FakeOpenAIText,
                                                           client: httpx.AsyncClient) -> None:
    models = await OpenAICompatibleTextProvider(f'{fake_text.base_url}/', 'sk-text', client=client).list_models()
    assert models == [ModelInfo('llama-3-8b-instruct', 'llama-3-8b-instruct', 8192),
                      ModelInfo('mythomax-l2-13b', 'MythoMax 13B', 4096)]
    assert fake_text.headers[0]['authorization'] == 'Bearer sk-text'


async def test_a_rejected_key_fails_the_model_list(fake_text: FakeOpenAIText, client: httpx.AsyncClient) -> None:
    fake_text.script = Script(status=401, error_body={'error': {'message': 'Invalid API Key'}})
    with pytest.raises(ProviderAuthError, match='API key was rejected'):
        await OpenAICompatibleTextProvider(fake_text.base_url, 'wrong', client=client).list_models()


async def test_an_unreachable_server_names_the_address(client: httpx.AsyncClient) -> None:
    provider = OpenAICompatibleTextProvider('http://127.0.0.1:9/v1', client=client)
    with pytest.raises(ProviderUnreachableError, match=r'Cannot reach http://127\.0\.0\.1:9/v1:') as raised:
        await collect(provider)
    assert raised.value.code == 'error.provider.unreachable'
    assert raised.value.params == {'url': 'http://127.0.0.1:9/v1'}
    with pytest.raises(ProviderUnreachableError, match=r'127\.0\.0\.1:9'):
        await provider.list_models()
