"""What a plugin's hooks receive as `ctx`: its identity, its settings, a namespaced key-value store, a logger,
a session for its own tables and `PluginServices`, the narrow facade through which it reaches the app.

The facade keeps plugins on a small, stable surface (read and add chat messages, quiet generation, their own
translations) instead of the app's internal services, so those can change without breaking plugins.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from ..infra.key_value import KeyValueStore
from .manifest import PluginManifest

if TYPE_CHECKING:
    from ..db.models import User
    from ..services.container import Services

I18N_FOLDER = 'i18n'


class PluginKeyValue:
    """The app's key-value store under the prefix `plugin:<id>:`, so plugins cannot read each other's keys."""

    def __init__(self, store: KeyValueStore, plugin_id: str) -> None:
        self._store = store
        self._prefix = f'plugin:{plugin_id}:'

    async def get(self, key: str) -> str | None:
        return await self._store.get(self._prefix + key)

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        await self._store.set(self._prefix + key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self._store.delete(self._prefix + key)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        return await self._store.incr(self._prefix + key, ttl_seconds)


@dataclass(frozen=True)
class ChatMessageView:
    """One chat message as a plugin sees it."""

    id: int
    role: str
    name: str
    content: str
    seq: int
    meta: dict[str, Any] = field(default_factory=dict)
    """A copy of the message's metadata: a reply's `prompt_tokens`, `completion_tokens`, `model`, `seconds` …"""
    created_at: datetime | None = None


@dataclass(frozen=True)
class ChatView:
    """One of the user's chats, as a plugin sees it."""

    id: str
    title: str
    character_id: str
    message_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CharacterView:
    """One character of the user's library, as a plugin sees it."""

    id: str
    name: str
    tags: list[str]
    short_description: str
    thumbnail_url: str | None
    favorite: bool
    chat_count: int


class PluginServices:
    """The app as a plugin may use it; every method acts as `user` and sees only what that user may see."""

    def __init__(self, services_of: Callable[[], Services], plugin: PluginContext) -> None:
        self._services_of = services_of
        self._plugin = plugin

    async def chat_messages(self, user: User, chat_id: str, limit: int = 50,
                            before_seq: int | None = None) -> list[ChatMessageView]:
        """The newest `limit` (at most 200) messages of a chat before `before_seq` (or the newest overall), oldest
        first, hidden ones included; page back through a long chat with the first message's `seq`."""
        page = await self._services_of().chats.messages(user, chat_id, before_seq=before_seq, limit=limit)
        return [ChatMessageView(message.id or 0, message.role, message.name, message.content, message.seq,
                                copy.deepcopy(message.meta), message.created_at)
                for message in page.items]

    async def chats(self, user: User, *, limit: int = 200, offset: int = 0) -> list[ChatView]:
        """The user's chats, newest activity first (at most 200 per call; page with `offset`)."""
        summaries = await self._services_of().chats.list_chats(user, offset=offset, limit=limit)
        return [ChatView(chat.id, chat.title, chat.character_id, chat.message_count, chat.created_at,
                         chat.updated_at) for chat in summaries]

    async def characters(self, user: User, *, tag: str = '', limit: int = 200,
                         offset: int = 0) -> list[CharacterView]:
        """The user's characters by name, only those with `tag` when one is given (at most 200 per call)."""
        from ..services.characters import CharacterQuery

        query = CharacterQuery(tag=tag, sort='name', offset=offset, limit=max(1, min(limit, 200)))
        page = await self._services_of().characters.search(user, query)
        return [CharacterView(item.id, item.name, list(item.tags), item.short_description, item.thumbnail_url,
                              item.favorite, item.chat_count) for item in page.items]

    async def character_tags(self, user: User) -> list[str]:
        """Every tag used in the user's library, sorted."""
        return await self._services_of().characters.list_tags(user)

    async def character_avatar(self, user: User, character_id: str) -> tuple[bytes, str] | None:
        """The character's avatar thumbnail as (bytes, media type), or None when it has no picture."""
        services = self._services_of()
        character = await services.characters.get(user, character_id)
        stored = services.media.thumbnail(character.avatar_hash) if character.avatar_hash else None
        if stored is None:
            return None
        return await asyncio.to_thread(stored.path.read_bytes), stored.content_type

    async def add_message(self, user: User, chat_id: str, role: str, content: str, name: str = '') -> int:
        """Append a message (role 'user', 'assistant' or 'system') and return its id."""
        from ..services.chats import NewMessage

        message = await self._services_of().chats.append(user, chat_id, NewMessage(role=role, content=content,
                                                                                     name=name))
        return message.id or 0

    async def generate(self, user: User, chat_id: str, prompt: str, *, max_tokens: int | None = None) -> str:
        """A quiet answer to `prompt` alone (no chat history) from the chat's model connection, with the chat's
        sampler settings; nothing is stored. A failing backend raises its `ProviderError`."""
        from ..services.providers.base import ChatMessage, GenerationRequest

        services = self._services_of()
        chat = await services.chats.get(user, chat_id)
        target = await services.generation.resolve(user, chat)
        sampler = target.sampler if max_tokens is None else dataclasses.replace(target.sampler, max_tokens=max_tokens)
        if target.text_completion:
            request = GenerationRequest(model=target.model, prompt=prompt, sampler=sampler,
                                        context_size=target.context_size)
        else:
            request = GenerationRequest(model=target.model, messages=[ChatMessage(role='user', content=prompt)],
                                        sampler=sampler, context_size=target.context_size)
        pieces = []
        async with contextlib.aclosing(target.provider.stream(request)) as deltas:  # type: ignore[type-var]
            async for delta in deltas:
                pieces.append(delta.text)
        return ''.join(pieces).strip()

    def t(self, key: str, locale: str = 'en', **params: Any) -> str:
        """The plugin's own translation of `key` (its `i18n/<locale>.json`), English as fallback, else the key."""
        return self._plugin.t(key, locale, **params)

    translate = t


@dataclass
class PluginContext:
    """Handed to every hook of one plugin as `ctx`."""

    plugin_id: str
    manifest: PluginManifest
    app_version: str
    kv: PluginKeyValue
    log: logging.Logger
    module: ModuleType | None
    _services_of: Callable[[], Services]
    _settings: BaseModel | None = None
    _user_settings_of: Callable[[User], Any] | None = None
    _translations: dict[str, dict[str, str]] = field(default_factory=dict)
    services: PluginServices = field(init=False)

    def __post_init__(self) -> None:
        self.services = PluginServices(self._services_of, self)
        self._translations = _load_translations(self.module)

    def settings(self) -> Any:
        """The admin settings (an instance of the plugin's `Settings` model), or None when it defines none."""
        return self._settings

    async def user_settings(self, user: User) -> Any:
        """This user's settings (an instance of the plugin's `UserSettings` model), or None when it defines none."""
        if self._user_settings_of is None:
            return None
        return await self._user_settings_of(user)

    @asynccontextmanager
    async def db_session(self) -> AsyncIterator[AsyncSession]:
        """An async SQLModel session on the app's database, for the plugin's own `plg_<id>_*` tables."""
        async with self._services_of().db.session() as session:
            yield session

    def t(self, key: str, locale: str = 'en', **params: Any) -> str:
        text = self._translations.get(locale, {}).get(key) or self._translations.get('en', {}).get(key) or key
        return text.format(**params) if params else text


def _load_translations(module: ModuleType | None) -> dict[str, dict[str, str]]:
    """`<package>/i18n/<locale>.json` files of the plugin's package, when it has them."""
    if module is None:
        return {}
    package = module.__name__.split('.')[0]
    try:
        folder = resources.files(package) / I18N_FOLDER
        if not folder.is_dir():
            return {}
        return {item.name.removesuffix('.json'): json.loads(item.read_text(encoding='utf-8'))
                for item in folder.iterdir() if item.name.endswith('.json')}
    except (ModuleNotFoundError, OSError, ValueError):
        return {}
