"""Mounts every REST route, the error handlers and the metrics on the FastAPI app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from . import (
    auth,
    character_files,
    characters,
    chat_files,
    chat_prompt,
    chat_search,
    chats,
    connections,
    health,
    lorebooks,
    marketplace,
    media,
    migration,
    personas,
    plugins,
    presets,
    web_session,
)
from .errors import install_error_handlers
from .metrics import install_metrics


def install_api(app: FastAPI, active_connections: Callable[[], int]) -> None:
    install_error_handlers(app)
    # chat_search before chats: its fixed paths (/api/v1/chats/search) must win over /api/v1/chats/{chat_id}
    for router in (auth.router, characters.router, character_files.router, chat_search.router, chats.router,
                   chats.stream_router, chat_prompt.router, chat_files.router, connections.router, health.router,
                   media.router, personas.router, presets.router, web_session.router):
        app.include_router(router)
    app.include_router(migration.router)
    app.include_router(marketplace.router)
    app.include_router(lorebooks.router)
    app.include_router(lorebooks.settings_router)
    app.include_router(plugins.router)
    install_metrics(app, active_connections)
