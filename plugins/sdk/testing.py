"""A test harness for plugin authors: the real app services on a throw-away SQLite database with an in-process
key-value store, with exactly one plugin loaded.

    async with plugin_harness(my_plugin.plugin, settings={'greeting': 'hi'}) as h:
        response = await h.client.get(f'/api/plugins/{h.plugin_id}/ping')
        assert await h.pipe('message_submitted', 'hello', chat=await h.chat()) == 'HELLO'

`h.client` is an httpx client for the app's REST API and the plugin's routes, signed in as `h.user` (the instance's
first account, so an administrator); `h.call` runs a hook of every loaded plugin and returns the plugin's results;
`h.pipe` runs a transform hook; `h.chat()` creates a character and a chat and returns the `ChatInfo` hooks receive.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

from app import runtime
from app.api.plugins import mount_plugin_routes
from app.api.router import install_api
from app.config import Settings
from app.db import migrate
from app.db.models import User
from app.plugins.manager import LoadedPlugin
from app.plugins.manifest import MANIFEST_NAME, manifest_from_folder
from app.services.character_card import CharacterFields
from app.services.container import Services, build_services

from .types import ChatInfo

HARNESS_PASSWORD = 'plugin harness password'


@dataclass
class PluginHarness:
    services: Services
    plugin: LoadedPlugin
    user: User
    client: httpx.AsyncClient

    @property
    def plugin_id(self) -> str:
        return self.plugin.id

    @property
    def ctx(self) -> Any:
        """The plugin's `PluginContext`, as its hooks receive it."""
        return self.plugin.context

    async def call(self, hook: str, *, user: User | None = None, **kwargs: Any) -> list[Any]:
        """Run `hook` (isolated, like the app does) as `user` (default `h.user`); the non-None results."""
        results = await self.services.plugins.call_each(hook, user=user or self.user, **kwargs)
        return [result for _, result in results]

    async def pipe(self, hook: str, value: Any, *, user: User | None = None, **kwargs: Any) -> Any:
        """Run a transform hook (`prompt_messages`, `stream_delta`, `message_submitted` …) on `value`."""
        return await self.services.plugins.pipe(hook, value, user=user or self.user, **kwargs)

    async def errors(self) -> list[str]:
        """Messages of the errors the plugin's hooks raised so far (newest first)."""
        return [error.message for error in await self.services.plugins.recent_errors(self.plugin_id, 50)]

    async def new_user(self, handle: str) -> User:
        return await self.services.accounts.register(handle, HARNESS_PASSWORD, by_admin=True)

    async def chat(self, character_name: str = 'Mira', first_message: str = 'Hello.', *,
                   user: User | None = None) -> ChatInfo:
        """A new character and a chat with it (no model connection: replies would use the embedded model)."""
        owner = user or self.user
        character = await self.services.characters.create(owner, CharacterFields(name=character_name,
                                                                                  first_mes=first_message))
        chat = await self.services.chats.start(owner, character.id)
        return ChatInfo(id=chat.id, user_id=owner.id, character_id=character.id, character_name=character_name,
                        user_name=owner.display_name or owner.handle, locale=owner.locale or 'en')


@asynccontextmanager
async def plugin_harness(plugin: ModuleType | str | Path, settings: dict[str, Any] | None = None, *,
                         handle: str = 'tester') -> AsyncIterator[PluginHarness]:
    """`plugin` is the entry module (object or dotted name) or the plugin's source folder."""
    module = _module_name(plugin)
    with tempfile.TemporaryDirectory(prefix='plugin-harness-') as folder:
        root = Path(folder)
        app_settings = Settings(data_dir=root / 'data', database_url=f'sqlite:///{root / "tavern.db"}', redis_url='',
                                secret_key='plugin-harness', _env_file=None)
        app_settings.ensure_data_dir()
        migrate.upgrade(app_settings.effective_database_url)
        services = build_services(app_settings)
        previous = _installed_services()
        runtime.install(services)
        try:
            app = FastAPI()
            install_api(app, active_connections=lambda: 0)
            mount_plugin_routes(app, services.plugins)
            loaded = await services.plugins.load_modules([module])
            if loaded[0].load_error:
                raise RuntimeError(f'The plugin failed to load: {loaded[0].load_error}')
            if settings is not None:
                await services.plugins.write_settings(loaded[0].id, 'admin', settings)
            user = await services.accounts.register(handle, HARNESS_PASSWORD, by_admin=True)
            _, token = await services.sessions.create_api_token(user, 'plugin harness')
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://testserver',
                                         headers={'Authorization': f'Bearer {token}'}) as client:
                yield PluginHarness(services, loaded[0], user, client)
        finally:
            await services.plugins.shutdown()
            await services.close()
            runtime.install(previous)


def _installed_services() -> Services | None:
    try:
        return runtime.services()
    except RuntimeError:
        return None


def _module_name(plugin: ModuleType | str | Path) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    if isinstance(plugin, str):
        return plugin
    package = _package_folder(plugin)
    if str(package.parent) not in sys.path:
        sys.path.insert(0, str(package.parent))
    manifest = manifest_from_folder(package)
    return manifest.module


def _package_folder(folder: Path) -> Path:
    """The plugin's import package: `folder` itself when it holds plugin.json, else its one sub-folder that does."""
    if (folder / MANIFEST_NAME).is_file():
        return folder
    packages = [child for child in sorted(folder.iterdir()) if (child / MANIFEST_NAME).is_file()]
    if len(packages) != 1:
        raise ValueError(f'{folder} holds no single package with a {MANIFEST_NAME}')
    return packages[0]
