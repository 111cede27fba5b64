"""The Ollama adapter over real HTTP against a fake Ollama server: streamed text, finish reason and token counts,
the exact request body, base URL clean-up, the key header, HTTP and mid-stream errors, cut-off replies,
disconnecting when the reader leaves, the model list and an unreachable server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from app.services.providers.base import (
    ChatMessage,
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
from app.services.providers.ollama import DEFAULT_BASE_URL, OllamaProvider
from tests.providers.sampler_cases import every_sampler
from tests.support.fake_ollama import PROMPT_EVAL_COUNT, STREAM_ERROR, FakeOllama, Script, running_fake_ollama

MODEL = 'llama3.2:latest'


@pytest.fixture(scope='module')
def fake_ollama() -> Iterator[FakeOllama]:
    """One fake Ollama server for this module; tests script it through `fake_ollama.script`."""
    with running_fake_ollama() as server:
        yield server


@pytest.fixture(autouse=True)
def reset(fake_ollama: FakeOllama) -> None:
    fake_ollama.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


def request(**sampler: Any) -> GenerationRequest:
    messages = [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi', 'Alex')]
    return GenerationRequest(model=MODEL, messages=messages, sampler=SamplerSettings(**sampler))


async def collect(provider: OllamaProvider, generation: GenerationRequest | None = None) -> list[Delta]:
    return [delta async for delta in provider.stream(generation or request())]


async def collect_until_error(provider: OllamaProvider, received: list[str]) -> None:
    async for delta in provider.stream(request()):
        received.append(delta.text)


async def test_streams_text_then_finish_reason_and_token_counts(fake_ollama: FakeOllama,
                                                                client: httpx.AsyncClient) -> None:
    deltas = await collect(OllamaProvider(fake_ollama.base_url, client=client))
    assert deltas == [Delta('Hello'), Delta(' there'), Delta('!'), Delta('', 'stop', PROMPT_EVAL_COUNT, 3)]
    assert fake_ollama.disconnects == 0


async def test_a_reply_cut_at_the_token_limit_reports_length(fake_ollama: FakeOllama,
                                                             client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(tokens=['Once', ' upon'], done_reason='length')
    deltas = await collect(OllamaProvider(fake_ollama.base_url, client=client))
    assert deltas[-1] == Delta('', 'length', PROMPT_EVAL_COUNT, 2)


async def test_every_sampler_setting_reaches_the_wire_under_ollama_names(fake_ollama: FakeOllama,
                                                                         client: httpx.AsyncClient) -> None:
    """Only Ollama's documented options are sent (no DRY, XTC, dynamic temperature, logit bias or bans)."""
    provider = OllamaProvider(fake_ollama.base_url, client=client, options={'context_size': 8192, 'keep_alive': '10m'})
    await collect(provider, GenerationRequest(model=MODEL, messages=request().messages, sampler=every_sampler()))
    assert fake_ollama.requests == [{
        'model': MODEL,
        'messages': [{'role': 'system', 'content': 'Be Mira.'}, {'role': 'user', 'content': 'Hi'}],
        'stream': True,
        'options': {'num_predict': 42, 'temperature': 0.7, 'top_p': 0.9, 'top_k': 40, 'min_p': 0.05,
                    'typical_p': 0.95, 'tfs_z': 0.97, 'repeat_penalty': 1.1, 'repeat_last_n': 320,
                    'frequency_penalty': 0.2, 'presence_penalty': 0.3, 'mirostat': 2, 'mirostat_tau': 5.5,
                    'mirostat_eta': 0.15, 'seed': 7, 'stop': ['\nAlex:'], 'num_ctx': 8192},
        'keep_alive': '10m',
    }]


async def test_extra_options_override_the_named_ones(fake_ollama: FakeOllama, client: httpx.AsyncClient) -> None:
    await collect(OllamaProvider(fake_ollama.base_url, client=client),
                  request(temperature=0.7, top_k=40, extra={'num_gpu': 1, 'temperature': 0.5, 'top_k': None}))
    assert fake_ollama.requests[0]['options'] == {'num_predict': 300, 'temperature': 0.5, 'num_gpu': 1}


async def test_the_context_the_prompt_was_built_for_wins_over_the_connections(fake_ollama: FakeOllama,
                                                                               client: httpx.AsyncClient) -> None:
    provider = OllamaProvider(fake_ollama.base_url, client=client, options={'context_size': 2048})
    generation = request()
    generation.context_size = 16384
    await collect(provider, generation)
    assert fake_ollama.requests[-1]['options']['num_ctx'] == 16384


@pytest.mark.parametrize(('options', 'extra_fields'), [
    (None, {}),
    ({'context_size': None, 'keep_alive': None}, {}),
    ({'keep_alive': 0}, {'keep_alive': 0}),
])
async def test_unset_values_are_not_sent(fake_ollama: FakeOllama, client: httpx.AsyncClient,
                                         options: dict[str, Any] | None, extra_fields: dict[str, Any]) -> None:
    await collect(OllamaProvider(fake_ollama.base_url, client=client, options=options))
    assert fake_ollama.requests == [{
        'model': MODEL,
        'messages': [{'role': 'system', 'content': 'Be Mira.'}, {'role': 'user', 'content': 'Hi'}],
        'stream': True,
        'options': {'num_predict': 300},
        **extra_fields,
    }]


@pytest.mark.parametrize('suffix', ['', '/', '/api', '/api/', '/v1', '/v1/'])
async def test_a_pasted_api_path_is_trimmed_to_the_server_root(fake_ollama: FakeOllama, client: httpx.AsyncClient,
                                                               suffix: str) -> None:
    provider = OllamaProvider(f'{fake_ollama.base_url}{suffix}', client=client)
    assert provider.base_url == fake_ollama.base_url
    assert ''.join(d.text for d in await collect(provider)) == 'Hello there!'


def test_an_empty_base_url_means_the_local_default() -> None:
    assert OllamaProvider('').base_url == DEFAULT_BASE_URL == 'http://127.0.0.1:11434'


async def test_a_key_is_sent_as_a_bearer_token(fake_ollama: FakeOllama, client: httpx.AsyncClient) -> None:
    await collect(OllamaProvider(fake_ollama.base_url, 'proxy-key', client=client))
    await collect(OllamaProvider(fake_ollama.base_url, client=client))
    assert fake_ollama.headers[0]['authorization'] == 'Bearer proxy-key'
    assert 'authorization' not in fake_ollama.headers[1]


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'code', 'text'), [
    (401, {'error': 'unauthorized'}, {}, ProviderAuthError, 'error.provider.key_rejected', 'API key was rejected'),
    (404, {'error': 'model "x" not found, try pulling it first'}, {}, ModelNotFoundError,
     'error.provider.model_not_found', 'model "x" not found, try pulling it first'),
    (404, '404 page not found', {}, ProviderError, 'error.provider.wrong_address', r'\(HTTP 404\): 404 page not found'),
    (429, {'error': 'slow down'}, {'Retry-After': '7'}, ProviderRateLimitedError, 'error.provider.rate_limited',
     'in 7 seconds'),
    (500, {'error': 'model requires more system memory'}, {}, UpstreamServerError, 'error.provider.upstream',
     r'\(HTTP 500\): model requires more system memory'),
])
async def test_http_errors_become_actionable_messages(fake_ollama: FakeOllama, client: httpx.AsyncClient,
                                                      status: int, body: dict[str, Any] | str,
                                                      headers: dict[str, str], error: type[ProviderError], code: str,
                                                      text: str) -> None:
    fake_ollama.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text) as raised:
        await collect(OllamaProvider(fake_ollama.base_url, client=client))
    assert type(raised.value) is error and raised.value.code == code


async def test_a_rate_limit_carries_the_wait(fake_ollama: FakeOllama, client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(status=429, error_body={'error': 'slow down'}, headers={'Retry-After': '7'})
    with pytest.raises(ProviderRateLimitedError) as raised:
        await collect(OllamaProvider(fake_ollama.base_url, client=client))
    assert raised.value.retry_after == 7


async def test_an_error_line_mid_stream_keeps_what_arrived(fake_ollama: FakeOllama,
                                                           client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(tokens=['one ', 'two ', 'three'], error_line_after=2)
    received: list[str] = []
    with pytest.raises(ProviderError, match=f'reported an error: {STREAM_ERROR}') as raised:
        await collect_until_error(OllamaProvider(fake_ollama.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.stream_error' and raised.value.params == {'detail': STREAM_ERROR}


async def test_a_line_that_is_not_json_keeps_what_arrived(fake_ollama: FakeOllama,
                                                          client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(tokens=['one ', 'two ', 'three'], malformed_after=1)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='not valid JSON') as raised:
        await collect_until_error(OllamaProvider(fake_ollama.base_url, client=client), received)
    assert received == ['one ']
    assert raised.value.code == 'error.provider.malformed'


@pytest.mark.parametrize('abort', [False, True], ids=['body-ended', 'connection-broken'])
async def test_a_dropped_stream_keeps_what_arrived_then_fails(fake_ollama: FakeOllama, client: httpx.AsyncClient,
                                                              abort: bool) -> None:
    fake_ollama.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2, abort=abort)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished') as raised:
        await collect_until_error(OllamaProvider(fake_ollama.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.truncated'


async def test_leaving_the_stream_early_closes_the_connection(fake_ollama: FakeOllama,
                                                              client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(tokens=['tick'] * 100, delay=0.05)
    async with aclosing(OllamaProvider(fake_ollama.base_url, client=client).stream(request())) as deltas:
        async for delta in deltas:
            assert delta == Delta('tick')
            break
    deadline = time.monotonic() + 2
    while fake_ollama.disconnects == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert fake_ollama.disconnects == 1


async def test_models_are_listed_from_tags(fake_ollama: FakeOllama, client: httpx.AsyncClient) -> None:
    models = await OllamaProvider(f'{fake_ollama.base_url}/api', 'proxy-key', client=client).list_models()
    assert models == [ModelInfo('llama3.2:latest', 'llama3.2:latest', None),
                      ModelInfo('mistral:7b', 'mistral:7b', None)]
    assert fake_ollama.headers[0]['authorization'] == 'Bearer proxy-key'


async def test_a_rejected_key_fails_the_model_list(fake_ollama: FakeOllama, client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(status=401, error_body={'error': 'unauthorized'})
    with pytest.raises(ProviderAuthError, match='API key was rejected'):
        await OllamaProvider(fake_ollama.base_url, 'wrong', client=client).list_models()


async def test_a_web_page_instead_of_tags_is_reported_as_malformed(fake_ollama: FakeOllama,
                                                                   client: httpx.AsyncClient) -> None:
    fake_ollama.script = Script(tags_body='<!doctype html><title>Open WebUI</title>')
    with pytest.raises(MalformedStreamError, match='not valid JSON') as raised:
        await OllamaProvider(fake_ollama.base_url, client=client).list_models()
    assert raised.value.code == 'error.provider.malformed'


async def test_an_unreachable_server_names_the_address(client: httpx.AsyncClient) -> None:
    provider = OllamaProvider('http://127.0.0.1:9/api', client=client)
    with pytest.raises(ProviderUnreachableError, match=r'Cannot reach http://127\.0\.0\.1:9:') as raised:
        await collect(provider)
    assert raised.value.code == 'error.provider.unreachable' and raised.value.params == {'url': 'http://127.0.0.1:9'}
    with pytest.raises(ProviderUnreachableError, match=r'127\.0\.0\.1:9'):
        await provider.list_models()
