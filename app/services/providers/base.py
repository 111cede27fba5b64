"""The provider interface every backend implements, and the errors it may raise.

A provider turns a `GenerationRequest` (messages or a prompt, plus sampler settings) into a stream of `Delta`s.
Adapters never return partial garbage: a failure mid-stream raises a `ProviderError` after the deltas that did
arrive, so the caller can keep them and show the error next to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ...errors import TavernError

Role = Literal['system', 'user', 'assistant']


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str
    name: str = ''


@dataclass
class SamplerSettings:
    """Sampler parameters; `None` (or an empty list) means "the backend's default" and is not sent.

    Each adapter sends only the ones its backend accepts (its `SUPPORTED_SAMPLERS`), under the backend's names.
    Dynamic temperature applies when both `min_temp` and `max_temp` are set. `logit_bias` keys are token ids
    written as digits, or text. `extra` is sent as given, over everything else.
    """

    max_tokens: int = 300
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    typical_p: float | None = None
    tfs: float | None = None
    top_a: float | None = None
    epsilon_cutoff: float | None = None
    eta_cutoff: float | None = None
    repetition_penalty: float | None = None
    repetition_penalty_range: int | None = None
    repetition_penalty_slope: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    no_repeat_ngram_size: int | None = None
    mirostat_mode: int | None = None
    mirostat_tau: float | None = None
    mirostat_eta: float | None = None
    dry_multiplier: float | None = None
    dry_base: float | None = None
    dry_allowed_length: int | None = None
    dry_penalty_last_n: int | None = None
    dry_sequence_breakers: list[str] | None = None
    xtc_threshold: float | None = None
    xtc_probability: float | None = None
    min_temp: float | None = None
    max_temp: float | None = None
    dynatemp_exponent: float | None = None
    smoothing_factor: float | None = None
    smoothing_curve: float | None = None
    seed: int | None = None
    logit_bias: dict[str, float] = field(default_factory=dict)
    banned_tokens: list[int] = field(default_factory=list)
    banned_strings: list[str] = field(default_factory=list)
    min_length: int | None = None
    ban_eos_token: bool | None = None
    stop: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerationRequest:
    """What to generate: chat `messages`, or a raw `prompt` for text-completion backends.

    `context_size` is the window the prompt was built for; backends that size their context per request (Ollama,
    KoboldCpp) are told it, so they do not cut a prompt that fits.
    """

    model: str
    messages: list[ChatMessage] = field(default_factory=list)
    prompt: str | None = None
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    context_size: int | None = None


@dataclass(frozen=True)
class Delta:
    """A piece of generated text; the last delta of a stream may carry the finish reason and token usage."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str = ''
    context_length: int | None = None


class ChatProvider(Protocol):
    """One configured backend (base URL, key, options)."""

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        """Yield deltas as the backend produces them; cancelling the consumer cancels the upstream request."""
        ...

    async def list_models(self) -> list[ModelInfo]: ...


class ProviderError(TavernError):
    """A backend failed; the message says what happened and what the user can do about it."""

    status_code = 502


class ProviderAuthError(ProviderError):
    """The API key was rejected (HTTP 401/403)."""


class ModelNotFoundError(ProviderError):
    """The backend does not know the requested model."""


class ProviderRateLimitedError(ProviderError):
    """The backend asked us to slow down; `retry_after` is in seconds when the backend said."""

    def __init__(self, code: str, message: str, retry_after: int | None = None, **params: Any) -> None:
        super().__init__(code, message, retry_after=retry_after or 0, **params)
        self.retry_after = retry_after


class ContextTooLongError(ProviderError):
    """The prompt does not fit the model's context window."""


class UpstreamServerError(ProviderError):
    """The backend answered with a 5xx error."""


class ProviderTimeoutError(ProviderError):
    """The backend did not answer in time."""


class MalformedStreamError(ProviderError):
    """The stream was cut off or contained data we cannot parse."""


class ProviderUnreachableError(ProviderError):
    """No connection could be made (wrong URL, server down)."""
