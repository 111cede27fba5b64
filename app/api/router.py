"""Mounts every REST route, the error handlers and the metrics on the FastAPI app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from . import (
    auth,
    character_files,
    characters,
    chat_files,
    chats,
    connections,
    health,
    media,
    personas,
    web_session,
)
from .errors import install_error_handlers
from .metrics import install_metrics


def install_api(app: FastAPI, active_connections: Callable[[], int]) -> None:
    install_error_handlers(app)
    for router in (auth.router, characters.router, character_files.router, chats.router, chats.stream_router,
                   chat_files.router, connections.router, health.router, media.router, personas.router,
                   web_session.router):
        app.include_router(router)
    install_metrics(app, active_connections)
