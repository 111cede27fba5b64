"""The one thread that runs the embedded model: it loads a model on first use, keeps it, and serves jobs in order.

A small CPU cannot run two generations at once without both crawling, so requests queue here and run one at a time.
Each job has a cancel flag; a job cancelled while waiting is skipped, a running one is stopped by its own code.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_cpp import Llama

from .base import ModelNotFoundError, ProviderError

log = logging.getLogger(__name__)
FINISHED = object()
"""Emitted after the last item of a job that ended without an error (or was cancelled)."""


@dataclass(eq=False)
class Job:
    """One generation: `run` yields items from the model in the worker thread, `emit` hands each to the caller."""

    model_path: Path
    n_ctx: int
    run: Callable[[Llama, threading.Event], Generator[Any, None, None]]
    emit: Callable[[Any], None]
    cancelled: threading.Event = field(default_factory=threading.Event)


class LlamaWorker:
    def __init__(self, n_threads: int | None = None) -> None:
        self.n_threads = n_threads or cpu_cores()
        self.jobs: queue.Queue[Job] = queue.Queue()
        self._model: Llama | None = None
        self._model_key: tuple[Path, int] | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._tokenizers: dict[Path, Llama] = {}
        self._tokenizer_lock = threading.Lock()

    @property
    def queue_length(self) -> int:
        """How many jobs wait for the one that is running."""
        return self.jobs.qsize()

    def submit(self, job: Job) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name='llama-worker', daemon=True)
                self._thread.start()
        self.jobs.put(job)

    def count_tokens(self, model_path: Path, text: str) -> int:
        """Tokens `text` takes in this model, from a vocabulary-only copy so counting never waits for a generation."""
        with self._tokenizer_lock:
            if model_path not in self._tokenizers:
                self._tokenizers[model_path] = open_model(model_path, vocab_only=True)
            tokens = self._tokenizers[model_path].tokenize(text.encode('utf-8'), add_bos=False, special=False)
        return len(tokens)

    def _serve(self) -> None:
        while True:
            job = self.jobs.get()
            if job.cancelled.is_set():
                job.emit(FINISHED)
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            items = job.run(self._load(job.model_path, job.n_ctx), job.cancelled)
            try:
                for item in items:
                    if job.cancelled.is_set():
                        break
                    job.emit(item)
            finally:
                items.close()
        except ProviderError as error:
            job.emit(error)
            return
        except Exception as error:
            log.exception('The local model failed')
            job.emit(ProviderError('error.local_model.failed', f'The local model failed: {error}', detail=str(error)))
            return
        job.emit(FINISHED)

    def _load(self, model_path: Path, n_ctx: int) -> Llama:
        """The loaded model, loading it (and dropping any other) only when the file or context size changed."""
        if self._model is None or self._model_key != (model_path, n_ctx):
            if self._model is not None:
                self._model.close()
                self._model = None
            started = time.perf_counter()
            self._model = open_model(model_path, n_ctx=n_ctx, n_threads=self.n_threads)
            self._model_key = (model_path, n_ctx)
            log.info('Loaded local model %s in %.2f s', model_path.name, time.perf_counter() - started)
        return self._model


def open_model(model_path: Path, **options: Any) -> Llama:
    """Open a GGUF file quietly, turning a missing or unreadable file into an error the user can act on."""
    if not model_path.is_file():
        raise ModelNotFoundError('error.local_model.missing', f'The model file {model_path} is missing. Put it back '
                                 'or choose another local model.', path=str(model_path))
    try:
        return Llama(str(model_path), verbose=False, **options)
    except (ValueError, RuntimeError, OSError):
        raise ProviderError('error.local_model.unreadable', f'The model file {model_path.name} could not be loaded; '
                            'it may be damaged or not a GGUF model. Replace the file and try again.',
                            file=model_path.name) from None


def cpu_cores() -> int:
    """Cores this process may use (respects CPU affinity in containers)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1


_shared: LlamaWorker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> LlamaWorker:
    """The process-wide worker, so every provider instance shares one loaded model and one queue."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LlamaWorker()
        return _shared
