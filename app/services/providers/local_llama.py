"""The embedded model provider: runs GGUF models inside this process, so a fresh install chats offline, with no key.

Generation happens on the shared `LlamaWorker` thread; tokens come back to the event loop through
`loop.call_soon_threadsafe` into an `asyncio.Queue`. Leaving the stream (or cancelling the task reading it) sets the
job's cancel flag, which a stopping criterion checks after every token, so the worker is free again at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Generator
from functools import partial
from pathlib import Path
from typing import Any

from llama_cpp import Llama, StoppingCriteriaList

from .base import ContextTooLongError, Delta, GenerationRequest, ModelInfo, SamplerSettings
from .local_chat_template import prompt_tokens
from .local_models import discover_models, find_model
from .local_worker import FINISHED, Job, LlamaWorker, shared_worker
from .sampler_wire import is_token_id, renamed

DEFAULT_CONTEXT_SIZE = 2048
PREFILL_BATCH = 128
WIRE_NAMES = {'max_tokens': 'max_tokens', 'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k',
              'min_p': 'min_p', 'typical_p': 'typical_p', 'tfs': 'tfs_z', 'repetition_penalty': 'repeat_penalty',
              'frequency_penalty': 'frequency_penalty', 'presence_penalty': 'presence_penalty',
              'mirostat_mode': 'mirostat_mode', 'mirostat_tau': 'mirostat_tau', 'mirostat_eta': 'mirostat_eta',
              'seed': 'seed'}


class LocalLlamaProvider:
    """Models are files in `models_dir` (plus the bundled SmolLM2); `model` is the id `count_tokens` counts for."""

    SUPPORTED_SAMPLERS = frozenset({'stop', 'logit_bias', *WIRE_NAMES})

    def __init__(self, models_dir: Path | None = None, model: str = '', *, n_ctx: int = DEFAULT_CONTEXT_SIZE,
                 worker: LlamaWorker | None = None) -> None:
        self.models_dir = models_dir
        self.model = model
        self.n_ctx = n_ctx
        self.worker = worker or shared_worker()

    @property
    def queue_length(self) -> int:
        """Generations waiting for the one that is running (in this whole process)."""
        return self.worker.queue_length

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        model_path = find_model(self.models_dir, request.model or self.model)
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()

        def deliver(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(inbox.put_nowait, item)
            except RuntimeError:  # the event loop is gone: nobody is listening any more
                cancelled.set()

        self.worker.submit(Job(model_path, self.n_ctx, partial(_generate, request), deliver, cancelled))
        try:
            while (item := await inbox.get()) is not FINISHED:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            cancelled.set()

    async def list_models(self) -> list[ModelInfo]:
        return await asyncio.to_thread(discover_models, self.models_dir)

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this provider's model, by the model's own tokenizer; safe from any thread."""
        return self.worker.count_tokens(find_model(self.models_dir, self.model), text)


def _generate(request: GenerationRequest, llama: Llama, cancelled: threading.Event) -> Generator[Delta, None, None]:
    """Runs in the worker thread: streams the completion as deltas, the last one with finish reason and usage."""
    tokens, template_stop = prompt_tokens(llama, request)
    if len(tokens) >= llama.n_ctx():
        raise ContextTooLongError('error.local_model.context_too_long', f'The prompt has {len(tokens)} tokens but the '
                                  f'local model holds {llama.n_ctx()}. Lower the context size or shorten the chat.',
                                  tokens=len(tokens), context=llama.n_ctx())
    if not prefill(llama, tokens, cancelled):
        return
    meter = _TokenMeter(cancelled, len(tokens))
    options = sampling_options(request.sampler)
    chunks = llama.create_completion(tokens, stream=True, stop=template_stop + request.sampler.stop,
                                     logit_bias=token_bias(llama, request.sampler.logit_bias) or None,
                                     stopping_criteria=StoppingCriteriaList([meter]), **options)
    for chunk in chunks:
        choice = chunk['choices'][0]
        if choice['finish_reason']:
            yield Delta(choice['text'], choice['finish_reason'], len(tokens), meter.generated)
        elif choice['text']:
            yield Delta(choice['text'])


def prefill(llama: Llama, tokens: list[int], cancelled: threading.Event) -> bool:
    """Evaluate all but the prompt's last token in small batches, checking for a stop between them.

    A long prompt takes seconds on a small CPU; done in one call it could not be stopped. What is already in the
    model's cache from the previous reply (the shared start of the chat) is kept, and llama-cpp's own prefix reuse
    then finds the evaluated prompt and only decodes the last token. Returns False when stopped.
    """
    prompt = tokens[:-1]
    start = Llama.longest_token_prefix(llama.input_ids[:llama.n_tokens].tolist(), prompt)
    llama.n_tokens = start
    for offset in range(start, len(prompt), PREFILL_BATCH):
        if cancelled.is_set():
            return False
        llama.eval(prompt[offset:offset + PREFILL_BATCH])
    return not cancelled.is_set()


def sampling_options(sampler: SamplerSettings) -> dict[str, Any]:
    """llama-cpp keyword arguments for the settings that are set; unset ones keep llama-cpp's defaults."""
    return renamed(sampler, WIRE_NAMES)


def token_bias(llama: Llama, logit_bias: dict[str, float]) -> dict[int, float]:
    """Logit bias by token id: digit keys are ids, text keys bias every token the model's tokenizer makes of them."""
    biases: dict[int, float] = {}
    for key, bias in logit_bias.items():
        tokens = [int(key)] if is_token_id(key) else llama.tokenize(key.encode('utf-8'), add_bos=False, special=False)
        biases.update(dict.fromkeys(tokens, bias))
    return biases


class _TokenMeter:
    """A stopping criterion, called once per sampled token: it stops as soon as the job is cancelled and counts.

    llama-cpp passes the tokens evaluated so far, which excludes the token just sampled, hence the `+ 1`.
    """

    def __init__(self, cancelled: threading.Event, prompt_tokens: int) -> None:
        self.cancelled = cancelled
        self.prompt_tokens = prompt_tokens
        self.seen = prompt_tokens - 1

    @property
    def generated(self) -> int:
        return self.seen - self.prompt_tokens + 1

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        self.seen = max(self.seen, len(input_ids))
        return self.cancelled.is_set()
