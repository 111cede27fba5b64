"""What the plugins page and `GET /api/v1/plugins` show about each plugin, for one viewer.

Administrators see every plugin with its state, load error, recent hook errors and consent record; other users see
the plugins that are on for the instance, with their own switch for the user-toggleable ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from ..db.models import User
    from .manager import LoadedPlugin, PluginManager

ERRORS_SHOWN = 5


class PluginErrorView(BaseModel):
    hook: str
    message: str
    created_at: datetime


class PluginView(BaseModel):
    id: str
    name: str
    version: str
    description: str
    author: str
    homepage: str
    license: str
    tags: list[str]
    permissions: list[str]
    source: str
    status: str
    enabled: bool
    user_toggleable: bool
    enabled_for_me: bool
    restart_required: bool
    load_error: str | None = None
    revoked: str | None = None
    has_settings: bool
    has_user_settings: bool
    settings_error: str | None = None
    error_count: int = 0
    last_errors: list[PluginErrorView] = []
    consent: dict[str, Any] = {}


async def plugin_views(manager: PluginManager, viewer: User) -> list[PluginView]:
    """Every plugin this viewer may see, sorted by name."""
    installs = await manager.state.installs() if viewer.is_admin else {}
    views = []
    for plugin in manager.loaded():
        if not viewer.is_admin and not plugin.active:
            continue
        views.append(await _view(manager, plugin, viewer, installs.get(plugin.id)))
    return sorted(views, key=lambda view: view.name.lower())


async def plugin_view(manager: PluginManager, plugin_id: str, viewer: User) -> PluginView:
    plugin = manager.get(plugin_id)
    install = await manager.state.install_row(plugin_id) if viewer.is_admin else None
    return await _view(manager, plugin, viewer, install)


async def _view(manager: PluginManager, plugin: LoadedPlugin, viewer: User, install: Any) -> PluginView:
    manifest = plugin.manifest
    admin = viewer.is_admin
    errors = await manager.recent_errors(plugin.id, ERRORS_SHOWN) if admin else []
    return PluginView(
        id=plugin.id, name=manifest.name, version=manifest.version, description=manifest.description,
        author=manifest.author, homepage=manifest.homepage, license=manifest.license, tags=list(manifest.tags),
        permissions=[str(permission) for permission in manifest.permissions], source=plugin.source,
        status=plugin.status, enabled=plugin.enabled, user_toggleable=manifest.user_toggleable,
        enabled_for_me=manager.is_enabled(plugin.id, viewer), restart_required=plugin.restart_required,
        load_error=plugin.load_error if admin else None, revoked=plugin.revoked,
        has_settings=plugin.settings_model is not None and admin and not plugin.removed,
        has_user_settings=plugin.user_settings_model is not None and plugin.active,
        settings_error=plugin.settings_error if admin else None, error_count=plugin.error_count if admin else 0,
        last_errors=[PluginErrorView(hook=error.hook, message=error.message, created_at=error.created_at)
                     for error in errors],
        consent=dict(install.consent) if install is not None else {})
