"""The composition root: prepares the database, builds the services, mounts API and pages, runs NiceGUI."""

from __future__ import annotations

from nicegui import app, ui
from nicegui.client import Client

from app import runtime
from app.api.plugins import mount_plugin_routes
from app.api.router import install_api
from app.config import Settings
from app.db import migrate
from app.plugins.marketplace import start_marketplace
from app.services.container import Services, build_services

from .plugin_pages import mount_plugin_pages
from .registry import register_pages

RECONNECT_TIMEOUT = 10.0


def prepare_database(settings: Settings) -> None:
    """SQLite is migrated automatically; PostgreSQL must already be at head (`tavern migrate` is a separate step)."""
    url = settings.effective_database_url
    if settings.is_sqlite:
        migrate.upgrade(url)
    else:
        migrate.check_up_to_date(url)


def build(settings: Settings) -> None:
    """Register services, REST API and pages on NiceGUI's app for these settings."""
    settings.ensure_data_dir()
    services = build_services(settings)
    runtime.install(services)
    install_api(app, active_connections=_connected_clients)
    register_pages()
    mount_plugin_routes(app, services.plugins)
    mount_plugin_pages(services.plugins)
    app.on_startup(lambda: start_plugins(services))
    app.on_shutdown(services.plugins.shutdown)
    app.on_shutdown(services.close)


async def start_plugins(services: Services) -> None:
    """Load the plugins, then build the local index and stop installed versions an index revoked (the check needs
    the loaded plugins, and NiceGUI runs async start-up handlers side by side, so one handler does both in order)."""
    await services.plugins.load_discovered()
    await start_marketplace(services)


def serve(settings: Settings) -> None:
    settings.ensure_data_dir()
    prepare_database(settings)
    build(settings)
    ui.run(host=settings.host, port=settings.port, title='TavernAI Plus', reload=False, show=False,
           reconnect_timeout=RECONNECT_TIMEOUT, show_welcome_message=False, favicon='🍺', fastapi_docs=True)


def _connected_clients() -> int:
    return sum(1 for client in Client.instances.values() if client.has_socket_connection)
