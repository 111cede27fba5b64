"""The kinds of model server a connection can point at, and how to build each one's adapter.

A connection row stores only the kind's id; this table says which adapter speaks to it, where it usually lives,
whether it needs a key, and whether it takes a text prompt (rendered with an instruct template) rather than chat
messages. The Connections page and the REST API list these kinds; plugins add theirs when they load. Each kind's
adapter declares the sampler settings its backend accepts (`SUPPORTED_SAMPLERS`), so the generation panel shows only
those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ...errors import InvalidInputError
from .anthropic import AnthropicProvider
from .base import ChatProvider
from .gemini import GeminiProvider
from .koboldcpp import KoboldCppProvider
from .local_llama import LocalLlamaProvider
from .ollama import OllamaProvider
from .openai_compatible import OpenAICompatibleProvider
from .openai_text import OpenAICompatibleTextProvider


class AdapterFactory(Protocol):
    """An adapter class: it builds the provider for one connection and names the samplers its backend accepts."""

    SUPPORTED_SAMPLERS: frozenset[str]

    def __call__(self, base_url: str, api_key: str | None, *, client: httpx.AsyncClient,
                 options: dict[str, Any]) -> ChatProvider: ...


LOCAL_KIND = 'local'
"""The embedded model that answers when a chat has no connection; not a kind a connection can have."""


@dataclass(frozen=True)
class ProviderKind:
    id: str
    label: str
    default_base_url: str
    needs_key: bool
    text_prompt: bool
    adapter: AdapterFactory

    def create(self, base_url: str, api_key: str | None, client: httpx.AsyncClient,
               options: dict[str, Any]) -> ChatProvider:
        """The adapter for one connection; an empty base URL means the kind's usual address."""
        return self.adapter(base_url or self.default_base_url, api_key, client=client, options=options)

    @property
    def samplers(self) -> frozenset[str]:
        """The sampler settings this kind's backend accepts (`SamplerSettings` field names)."""
        return self.adapter.SUPPORTED_SAMPLERS


PROVIDER_KINDS: dict[str, ProviderKind] = {kind.id: kind for kind in (
    ProviderKind('openai', 'OpenAI-compatible (chat)', 'https://api.openai.com/v1', False, False,
                 OpenAICompatibleProvider),
    ProviderKind('openai_text', 'OpenAI-compatible (text completion)', 'http://127.0.0.1:8080/v1', False, True,
                 OpenAICompatibleTextProvider),
    ProviderKind('anthropic', 'Anthropic Claude', 'https://api.anthropic.com/v1', True, False, AnthropicProvider),
    ProviderKind('gemini', 'Google Gemini', 'https://generativelanguage.googleapis.com/v1beta', True, False,
                 GeminiProvider),
    ProviderKind('koboldcpp', 'KoboldCpp / KoboldAI', 'http://127.0.0.1:5001', False, True, KoboldCppProvider),
    ProviderKind('ollama', 'Ollama', 'http://127.0.0.1:11434', False, False, OllamaProvider),
)}
BUILT_IN_KINDS = frozenset(PROVIDER_KINDS)


def add_provider_kind(kind: ProviderKind, *, replace: bool = False) -> bool:
    """Add a connection kind (a plugin's) to the table; False when the id is taken and `replace` is not set. Built-in
    kinds and the embedded model's id can never be replaced."""
    if kind.id in BUILT_IN_KINDS or kind.id == LOCAL_KIND or (kind.id in PROVIDER_KINDS and not replace):
        return False
    PROVIDER_KINDS[kind.id] = kind
    return True


def provider_kind(kind_id: str) -> ProviderKind:
    """The kind with this id, or an error listing the known ones."""
    try:
        return PROVIDER_KINDS[kind_id]
    except KeyError:
        raise InvalidInputError('error.connection.unknown_kind',
                                f'Unknown connection kind "{kind_id}"; use one of: {", ".join(PROVIDER_KINDS)}.',
                                kind=kind_id, known=', '.join(PROVIDER_KINDS)) from None


def supported_samplers(kind_id: str) -> frozenset[str]:
    """The sampler settings a kind's backend accepts; `LOCAL_KIND` is the embedded model."""
    return LocalLlamaProvider.SUPPORTED_SAMPLERS if kind_id == LOCAL_KIND else provider_kind(kind_id).samplers
