"""The KoboldCpp adapter over real HTTP against a fake KoboldCpp: streamed tokens and finish reason, the exact
native request body (template prompt, merged stop sequences, KoboldCpp's sampler names, genkey), base URL
clean-up, the password header, HTTP and mid-stream errors, cut-off replies, closing the connection and posting an
abort when the reader leaves, the model list with its context size and an unreachable server."""

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
from app.services.providers.koboldcpp import DEFAULT_BASE_URL, KoboldCppProvider
from tests.providers.sampler_cases import every_sampler
from tests.support.fake_koboldcpp import (
    BUSY_BODY,
    MAX_CONTEXT,
    MODEL,
    STREAM_ERROR,
    UNAUTHORIZED_BODY,
    FakeKoboldCpp,
    Script,
    running_fake_koboldcpp,
)

CHATML_PROMPT = ('<|im_start|>system\nBe Mira.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n'
                 '<|im_start|>assistant\n')


@pytest.fixture(scope='module')
def fake_kobold() -> Iterator[FakeKoboldCpp]:
    """One fake KoboldCpp for this module; tests script it through `fake_kobold.script`."""
    with running_fake_koboldcpp() as server:
        yield server


@pytest.fixture(autouse=True)
def reset(fake_kobold: FakeKoboldCpp) -> None:
    fake_kobold.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


MESSAGES = [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi', 'Alex')]


def request(prompt: str | None = None, **sampler: Any) -> GenerationRequest:
    return GenerationRequest(model='', messages=MESSAGES, prompt=prompt, sampler=SamplerSettings(**sampler))


async def collect(provider: KoboldCppProvider, generation: GenerationRequest | None = None) -> list[Delta]:
    return [delta async for delta in provider.stream(generation or request())]


async def collect_until_error(provider: KoboldCppProvider, received: list[str]) -> None:
    async for delta in provider.stream(request()):
        received.append(delta.text)


async def wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 2
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


@pytest.mark.parametrize('null_as_string', [False, True], ids=['null', 'null-string'])
async def test_streams_tokens_then_the_finish_reason(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient,
                                                     null_as_string: bool) -> None:
    fake_kobold.script = Script(null_as_string=null_as_string)
    deltas = await collect(KoboldCppProvider(fake_kobold.base_url, client=client))
    assert deltas == [Delta('Hello'), Delta(' there'), Delta('!'), Delta('', 'stop')]
    assert fake_kobold.disconnects == 0 and fake_kobold.aborts == []


async def test_a_reply_cut_at_the_token_limit_reports_length(fake_kobold: FakeKoboldCpp,
                                                             client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['Once', ' upon'], finish_reason='length')
    deltas = await collect(KoboldCppProvider(fake_kobold.base_url, client=client))
    assert deltas == [Delta('Once'), Delta(' upon'), Delta('', 'length')]


async def test_every_sampler_setting_reaches_the_wire_under_koboldcpp_names(fake_kobold: FakeKoboldCpp,
                                                                            client: httpx.AsyncClient) -> None:
    """Dynamic temperature goes out as its midpoint and range; logit bias keeps only token ids; the rest of the
    settings (frequency penalty, epsilon cutoff, ...) are not KoboldCpp's and are not sent."""
    provider = KoboldCppProvider(fake_kobold.base_url, client=client, options={'context_size': 8192})
    await collect(provider, GenerationRequest(model='', messages=MESSAGES, sampler=every_sampler()))
    [body] = fake_kobold.requests
    assert body == {
        'prompt': CHATML_PROMPT, 'max_length': 42, 'max_context_length': 8192, 'temperature': 1.0,
        'dynatemp_range': 0.5, 'dynatemp_exponent': 1.2, 'top_p': 0.9, 'top_k': 40, 'top_a': 0.2, 'typical': 0.95,
        'tfs': 0.97, 'min_p': 0.05, 'rep_pen': 1.1, 'rep_pen_range': 320, 'rep_pen_slope': 0.7,
        'presence_penalty': 0.3, 'mirostat': 2, 'mirostat_tau': 5.5, 'mirostat_eta': 0.15, 'dry_multiplier': 0.8,
        'dry_base': 1.75, 'dry_allowed_length': 2, 'dry_penalty_last_n': 1024, 'dry_sequence_breakers': ['\n', ':'],
        'xtc_threshold': 0.1, 'xtc_probability': 0.5, 'smoothing_factor': 0.3, 'sampler_seed': 7,
        'banned_tokens': ['As an AI'], 'custom_token_bans': '11,12', 'logit_bias': {'15043': -5.0},
        'ban_eos_token': True, 'stop_sequence': ['\nAlex:', '<|im_end|>', '<|im_start|>'], 'trim_stop': True,
        'genkey': body['genkey'],
    }
    assert body['genkey'].startswith('KCPP') and len(body['genkey']) == 20


async def test_extra_fields_override_the_named_ones_but_not_the_genkey(fake_kobold: FakeKoboldCpp,
                                                                       client: httpx.AsyncClient) -> None:
    provider = KoboldCppProvider(fake_kobold.base_url, client=client)
    await collect(provider, request(temperature=0.7, top_k=40, extra={'rep_pen_range': 320, 'temperature': 0.5,
                                                                      'top_k': None, 'genkey': 'mine'}))
    [body] = fake_kobold.requests
    assert body == {'prompt': CHATML_PROMPT, 'max_length': 300, 'temperature': 0.5, 'rep_pen_range': 320,
                    'stop_sequence': ['<|im_end|>', '<|im_start|>'], 'trim_stop': True, 'genkey': body['genkey']}
    assert body['genkey'] != 'mine'


async def test_unset_values_are_not_sent_and_each_request_has_its_own_genkey(fake_kobold: FakeKoboldCpp,
                                                                             client: httpx.AsyncClient) -> None:
    provider = KoboldCppProvider(fake_kobold.base_url, client=client,
                                 options={'context_size': None, 'instruct_template': None})
    await collect(provider)
    await collect(provider)
    first, second = fake_kobold.requests
    assert first == {'prompt': CHATML_PROMPT, 'max_length': 300, 'stop_sequence': ['<|im_end|>', '<|im_start|>'],
                     'trim_stop': True, 'genkey': first['genkey']}
    assert first['genkey'] != second['genkey']


async def test_the_connection_template_renders_the_prompt(fake_kobold: FakeKoboldCpp,
                                                          client: httpx.AsyncClient) -> None:
    provider = KoboldCppProvider(fake_kobold.base_url, client=client, options={'instruct_template': 'alpaca'})
    await collect(provider, request(stop=['\nAlex:']))
    body = fake_kobold.requests[0]
    assert body['prompt'] == 'Be Mira.\n\n### Instruction:\nHi\n\n### Response:\n'
    assert body['stop_sequence'] == ['\nAlex:', '### Instruction:', '### Response:']


async def test_a_raw_prompt_is_sent_as_given_without_template_stops(fake_kobold: FakeKoboldCpp,
                                                                    client: httpx.AsyncClient) -> None:
    await collect(KoboldCppProvider(fake_kobold.base_url, client=client), request(prompt='Mira: Hello!\nAlex:'))
    assert fake_kobold.requests[0]['prompt'] == 'Mira: Hello!\nAlex:'
    assert 'stop_sequence' not in fake_kobold.requests[0]


@pytest.mark.parametrize('suffix', ['', '/', '/api', '/api/', '/v1', '/v1/', '/api/v1'])
async def test_a_pasted_api_path_is_trimmed_to_the_server_root(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient,
                                                               suffix: str) -> None:
    provider = KoboldCppProvider(f'{fake_kobold.base_url}{suffix}', client=client)
    assert provider.base_url == fake_kobold.base_url
    assert ''.join(d.text for d in await collect(provider)) == 'Hello there!'


def test_an_empty_base_url_means_the_local_default() -> None:
    assert KoboldCppProvider(' ').base_url == DEFAULT_BASE_URL == 'http://127.0.0.1:5001'


async def test_a_password_is_sent_as_a_bearer_token(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient) -> None:
    await collect(KoboldCppProvider(fake_kobold.base_url, 'hunter2', client=client))
    await collect(KoboldCppProvider(fake_kobold.base_url, client=client))
    assert fake_kobold.headers[0]['authorization'] == 'Bearer hunter2'
    assert 'authorization' not in fake_kobold.headers[1]


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'code', 'text'), [
    (401, UNAUTHORIZED_BODY, {}, ProviderAuthError, 'error.provider.key_rejected', 'API key was rejected'),
    (404, {'detail': {'msg': 'Model not found', 'type': 'not_found'}}, {}, ModelNotFoundError,
     'error.provider.model_not_found', 'does not know this model: Model not found'),
    (429, {'detail': {'msg': 'Too many requests', 'type': 'rate_limited'}}, {'Retry-After': '7'},
     ProviderRateLimitedError, 'error.provider.rate_limited', 'in 7 seconds'),
    (503, BUSY_BODY, {}, UpstreamServerError, 'error.provider.upstream',
     r'\(HTTP 503\): Server is busy; please try again later\.$'),
    (400, {'detail': {'msg': 'Prompt exceeds the maximum context length.', 'type': 'bad_input'}}, {},
     ContextTooLongError, 'error.provider.context_too_long', 'longer than the model allows'),
])
async def test_http_errors_become_actionable_messages(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient,
                                                      status: int, body: dict[str, Any], headers: dict[str, str],
                                                      error: type[ProviderError], code: str, text: str) -> None:
    fake_kobold.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text) as raised:
        await collect(KoboldCppProvider(fake_kobold.base_url, client=client))
    assert type(raised.value) is error and raised.value.code == code
    assert fake_kobold.aborts == []


async def test_a_rate_limit_carries_the_wait(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(status=429, error_body={'detail': {'msg': 'slow down'}}, headers={'Retry-After': '7'})
    with pytest.raises(ProviderRateLimitedError) as raised:
        await collect(KoboldCppProvider(fake_kobold.base_url, client=client))
    assert raised.value.retry_after == 7


async def test_an_error_event_mid_stream_keeps_what_arrived_and_aborts(fake_kobold: FakeKoboldCpp,
                                                                       client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['one ', 'two ', 'three'], error_after=2)
    received: list[str] = []
    with pytest.raises(ProviderError, match=f'reported an error: {STREAM_ERROR}') as raised:
        await collect_until_error(KoboldCppProvider(fake_kobold.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.stream_error' and raised.value.params == {'detail': STREAM_ERROR}
    assert fake_kobold.aborts == [fake_kobold.requests[0]['genkey']]


async def test_an_event_that_is_not_json_keeps_what_arrived_and_aborts(fake_kobold: FakeKoboldCpp,
                                                                       client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['one ', 'two ', 'three'], malformed_after=1)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='not valid JSON') as raised:
        await collect_until_error(KoboldCppProvider(fake_kobold.base_url, client=client), received)
    assert received == ['one ']
    assert raised.value.code == 'error.provider.malformed'
    assert fake_kobold.aborts == [fake_kobold.requests[0]['genkey']]


@pytest.mark.parametrize('abort', [False, True], ids=['body-ended', 'connection-broken'])
async def test_a_dropped_stream_keeps_what_arrived_then_fails(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient,
                                                              abort: bool) -> None:
    fake_kobold.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2, abort=abort)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished') as raised:
        await collect_until_error(KoboldCppProvider(fake_kobold.base_url, client=client), received)
    assert received == ['one ', 'two ']
    assert raised.value.code == 'error.provider.truncated'
    assert fake_kobold.aborts == []


async def test_leaving_the_stream_early_closes_it_and_aborts_the_generation(fake_kobold: FakeKoboldCpp,
                                                                            client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['tick'] * 100, delay=0.05)
    received: list[Delta] = []
    async with aclosing(KoboldCppProvider(fake_kobold.base_url, 'hunter2', client=client).stream(request())) as deltas:
        async for delta in deltas:
            received.append(delta)
            if len(received) == 2:
                break
    assert received == [Delta('tick'), Delta('tick')]
    await wait_for(lambda: fake_kobold.disconnects and fake_kobold.aborts)
    assert fake_kobold.disconnects == 1
    assert fake_kobold.aborts == [fake_kobold.requests[0]['genkey']]


async def test_cancelling_the_reader_closes_the_stream_and_aborts_the_generation(fake_kobold: FakeKoboldCpp,
                                                                                 client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['tick'] * 100, delay=0.05)
    received: list[Delta] = []
    reader = asyncio.create_task(collect_into(KoboldCppProvider(fake_kobold.base_url, client=client), received))
    await wait_for(lambda: len(received) >= 2)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    await wait_for(lambda: fake_kobold.disconnects and fake_kobold.aborts)
    assert fake_kobold.disconnects == 1
    assert fake_kobold.aborts == [fake_kobold.requests[0]['genkey']]


async def collect_into(provider: KoboldCppProvider, received: list[Delta]) -> None:
    async for delta in provider.stream(request()):
        received.append(delta)


async def test_an_abort_that_cannot_be_delivered_is_ignored(fake_kobold: FakeKoboldCpp,
                                                            client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(tokens=['tick'] * 100, delay=0.05)
    provider = KoboldCppProvider(fake_kobold.base_url, client=client)
    async with aclosing(provider.stream(request())) as deltas:
        async for _delta in deltas:
            provider.base_url = 'http://127.0.0.1:9'  # the abort now goes to a closed port
            break
    await wait_for(lambda: fake_kobold.disconnects)
    assert fake_kobold.disconnects == 1 and fake_kobold.aborts == []


async def test_the_model_is_listed_with_its_context_size(fake_kobold: FakeKoboldCpp,
                                                         client: httpx.AsyncClient) -> None:
    models = await KoboldCppProvider(f'{fake_kobold.base_url}/api', 'hunter2', client=client).list_models()
    assert models == [ModelInfo(MODEL, 'Mistral-Nemo-12B-Q4_K_M', MAX_CONTEXT)]
    assert fake_kobold.headers[0]['authorization'] == 'Bearer hunter2'


async def test_a_server_without_the_context_endpoint_lists_the_model_without_it(fake_kobold: FakeKoboldCpp,
                                                                                client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(model='KoboldAI/fairseq-dense-13B-Shinen', context_status=404)
    models = await KoboldCppProvider(fake_kobold.base_url, client=client).list_models()
    assert models == [ModelInfo('KoboldAI/fairseq-dense-13B-Shinen', 'KoboldAI/fairseq-dense-13B-Shinen', None)]


async def test_a_wrong_password_fails_the_model_list(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(model='koboldcpp/protected-model')
    with pytest.raises(ProviderAuthError, match='API key was rejected') as raised:
        await KoboldCppProvider(fake_kobold.base_url, 'wrong', client=client).list_models()
    assert raised.value.code == 'error.provider.key_rejected'


async def test_a_busy_server_fails_the_model_list(fake_kobold: FakeKoboldCpp, client: httpx.AsyncClient) -> None:
    fake_kobold.script = Script(status=503, error_body=BUSY_BODY)
    with pytest.raises(UpstreamServerError, match='Server is busy'):
        await KoboldCppProvider(fake_kobold.base_url, client=client).list_models()


async def test_an_unreachable_server_names_the_address(client: httpx.AsyncClient) -> None:
    provider = KoboldCppProvider('http://127.0.0.1:9/api', client=client)
    with pytest.raises(ProviderUnreachableError, match=r'Cannot reach http://127\.0\.0\.1:9:') as raised:
        await collect(provider)
    assert raised.value.code == 'error.provider.unreachable' and raised.value.params == {'url': 'http://127.0.0.1:9'}
    with pytest.raises(ProviderUnreachableError, match=r'127\.0\.0\.1:9'):
        await provider.list_models()
