"""Plugin pages: each `register_pages` builder becomes a NiceGUI page under `/p/<id>/`, inside the app shell,
for signed-in users only. Every request checks the plugin's state first, so a page of a disabled or uninstalled
plugin (or one the user switched off) answers 404 at once. A builder that raises shows a short notice and its
error is recorded like a failing hook.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.plugins.manager import LoadedPlugin, PluginManager
from components.app_shell import app_shell
from components.page_context import PageContext
from plugins.sdk import PluginPage

PAGE_PREFIX = '/p'


def mount_plugin_pages(manager: PluginManager) -> None:
    """Add the pages of every plugin as it loads (at start-up, or right after an install)."""
    manager.on_load(_mount)


def page_path(plugin_id: str, sub_path: str) -> str:
    sub = sub_path.strip('/')
    return f'{PAGE_PREFIX}/{plugin_id}/' + sub


def _mount(plugin: LoadedPlugin) -> None:
    existing = {getattr(route, 'path', None) for route in app.routes}
    for sub_path, builder in plugin.pages.items():
        path = page_path(plugin.id, sub_path)
        if path not in existing and callable(builder):
            ui.page(path)(_handler(plugin.id, sub_path, builder))


def _handler(plugin_id: str, sub_path: str, builder: Callable[[PluginPage], Any]
             ) -> Callable[[Request], Awaitable[Response | None]]:
    async def plugin_page(request: Request) -> Response | None:
        ctx = await PageContext.from_request(request)
        if ctx.user is None:
            return RedirectResponse(f'/login?next={quote(ctx.path)}', status_code=303)
        manager = ctx.services.plugins
        plugin = manager.find(plugin_id)
        if plugin is None or not manager.is_enabled(plugin_id, ctx.user):
            return Response(ctx.t('error.plugins.not_found', plugin_id=plugin_id), status_code=404,
                            media_type='text/plain')
        ui.page_title(f'{plugin.manifest.name} · {ctx.t("app.name")}')
        page = PluginPage(path='/' + sub_path.strip('/'), user=ctx.user, locale=ctx.locale,
                          query=dict(request.query_params))
        with app_shell(ctx), ui.column().classes('w-full gap-4') as container:
            try:
                result = builder(page)
                if inspect.isawaitable(result):
                    await result
            except Exception as error:  # a plugin's page must not take the app's page machinery down
                await manager.record_error(plugin_id, 'page', f'{type(error).__name__}: {error}',
                                           traceback.format_exc())
                container.clear()
                with container:
                    ui.label(ctx.t('plugins.page_failed', name=plugin.manifest.name)).classes('text-negative') \
                        .mark('plugin-page-failed')
        return None

    plugin_page.__name__ = f'plugin_page_{plugin_id}'
    return plugin_page
