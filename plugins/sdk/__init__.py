"""The public SDK: the only module a TavernAI Plus plugin imports from the app (`from plugins.sdk import ...`).

A plugin marks its hook functions with `@hookimpl` (see `app/plugins/hookspecs.py` for every hook and its
arguments), may define `Settings` / `UserSettings` pydantic models in its entry module (`secret()` marks a field
that is never shown again), and talks to the app through `ctx` (`PluginContext`). `plugins.sdk.testing` is a
harness for the plugin's own tests.
"""

from __future__ import annotations

from typing import Any

import pluggy
from pydantic import Field

from app.plugins.context import (
    CharacterView,
    ChatMessageView,
    ChatView,
    PluginContext,
    PluginKeyValue,
    PluginServices,
)
from app.plugins.hookspecs import PROJECT_NAME
from app.plugins.manifest import Permission, PluginManifest

from .types import (
    ChatExportInput,
    ChatInfo,
    CliCommand,
    CommandCall,
    CommandResult,
    ExportedMessage,
    ExportFormat,
    ImportFormat,
    MenuLink,
    MessageInfo,
    PluginPage,
    PromptMessage,
    SlashCommand,
    SlotBuilder,
    SlotTarget,
)

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


def secret(default: Any = '', **kwargs: Any) -> Any:
    """A settings field holding a secret: a password input in forms, `********` in every read, kept when a form
    sends `********` back."""
    extra = dict(kwargs.pop('json_schema_extra', None) or {})
    extra['secret'] = True
    return Field(default=default, json_schema_extra=extra, **kwargs)


PROVIDER_TYPES = frozenset({'ChatProvider', 'ChatMessage', 'Delta', 'GenerationRequest', 'ModelInfo',
                            'ProviderError', 'SamplerSettings'})


def __getattr__(name: str) -> Any:
    """Imported on first use: `CurrentUser`, the route dependency that signs the caller in (session cookie or
    bearer token, as for the app's own API), and what a plugin needs to add a connection kind (the kinds pull in
    every adapter): `ProviderKindSpec` and the adapter interface (`ChatProvider`, `GenerationRequest`, `Delta` …)."""
    if name == 'ProviderKindSpec':
        from app.services.providers.kinds import ProviderKind

        return ProviderKind
    if name == 'CurrentUser':
        from app.api.deps import CurrentUser

        return CurrentUser
    if name in PROVIDER_TYPES:
        from app.services.providers import base

        return getattr(base, name)
    raise AttributeError(name)


__all__ = [
    'CharacterView',
    'ChatExportInput',
    'ChatInfo',
    'ChatMessage',
    'ChatMessageView',
    'ChatProvider',
    'ChatView',
    'CliCommand',
    'CommandCall',
    'CommandResult',
    'CurrentUser',
    'Delta',
    'ExportFormat',
    'ExportedMessage',
    'GenerationRequest',
    'ImportFormat',
    'MenuLink',
    'MessageInfo',
    'ModelInfo',
    'Permission',
    'PluginContext',
    'PluginKeyValue',
    'PluginManifest',
    'PluginPage',
    'PluginServices',
    'PromptMessage',
    'ProviderError',
    'ProviderKindSpec',
    'SamplerSettings',
    'SlashCommand',
    'SlotBuilder',
    'SlotTarget',
    'hookimpl',
    'secret',
]
