
import pytest

from app.services.providers.base import (
    ChatMessage,
    GenerationRequest,
    MalformedStreamError,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderRateLimitedError,
    ProviderUnreachableError,
    SamplerSettings,
    UpstreamServerError,
)
from app.services.providers.openai_compatible import OpenAICompatibleProvider
from tests.support.fake_openai import FakeOpenAI, Script


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script()
    fake_openai.requests.clear()


def request(**sampler: object) -> GenerationRequest:
    return GenerationRequest(model='fake-model', messages=[ChatMessage('system', 'Be Mira.'),
                                                          ChatMessage('user', 'Hi', 'Alex')],
                             sampler=SamplerSettings(**sampler))


async def test_streams_deltas_with_finish_reason_and_usage(fake_openai: FakeOpenAI) -> None:
    deltas = [d async for d in OpenAICompatibleProvider(fake_openai.base_url, 'sk-x').stream(request())]
    assert ''.join(d.text for d in deltas) == 'Hello there!'
    assert deltas[-2].finish_reason == 'stop'
    assert (deltas[-1].prompt_tokens, deltas[-1].completion_tokens) == (11, 3)


async def test_sampler_settings_reach_the_wire(fake_openai: FakeOpenAI) -> None:
    [d async for d in OpenAICompatibleProvider(fake_openai.base_url).stream(
        request(max_tokens=42, temperature=0.7, top_k=40, stop=['\nAlex:']))]
    body = fake_openai.requests[0]
    assert body['stream'] is True and body['max_tokens'] == 42 and body['temperature'] == 0.7
    assert body['top_k'] == 40 and body['stop'] == ['\nAlex:'] and 'top_p' not in body
    assert body['messages'][1] == {'role': 'user', 'content': 'Hi', 'name': 'Alex'}


@pytest.mark.parametrize(('status', 'body', 'headers', 'error', 'text'), [
    (401, {'error': {'message': 'Incorrect API key'}}, {}, ProviderAuthError, 'API key was rejected'),
    (404, {'error': {'message': 'The model `x` does not exist'}}, {}, ModelNotFoundError, 'does not exist'),
    (429, {'error': {'message': 'slow down'}}, {'Retry-After': '7'}, ProviderRateLimitedError, 'in 7 seconds'),
    (503, {'error': {'message': 'overloaded'}}, {}, UpstreamServerError, 'HTTP 503'),
])
async def test_http_errors_become_actionable_messages(fake_openai: FakeOpenAI, status: int, body: dict,
                                                      headers: dict, error: type, text: str) -> None:
    fake_openai.script = Script(status=status, error_body=body, headers=headers)
    with pytest.raises(error, match=text):
        [d async for d in OpenAICompatibleProvider(fake_openai.base_url).stream(request())]


async def test_a_dropped_stream_keeps_what_arrived_then_fails(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['one ', 'two ', 'three'], drop_after=2)
    received: list[str] = []
    with pytest.raises(MalformedStreamError, match='closed before the reply was finished'):
        async for delta in OpenAICompatibleProvider(fake_openai.base_url).stream(request()):
            received.append(delta.text)
    assert received == ['one ', 'two ']


async def test_unreachable_server_names_the_address() -> None:
    with pytest.raises(ProviderUnreachableError, match=r'127\.0\.0\.1:9'):
        [d async for d in OpenAICompatibleProvider('http://127.0.0.1:9/v1').stream(request())]


async def test_models_are_listed(fake_openai: FakeOpenAI) -> None:
    assert [m.id for m in await OpenAICompatibleProvider(fake_openai.base_url).list_models()] == ['fake-model']
