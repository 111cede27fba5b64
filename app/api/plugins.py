"""`/api/v1/plugins`: installed plugins with their state, the admin's global switch, each user's own switch,
admin and user settings (secrets always redacted), wheel upload and uninstall.

Also mounts every loaded plugin's own routers under `/api/plugins/<id>`, each guarded so it answers 404 as soon
as the plugin is disabled or uninstalled (and, for user-toggleable plugins, for a user who turned it off).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from .. import runtime
from ..errors import InvalidInputError, NotFoundError
from ..plugins.manager import LoadedPlugin, PluginManager
from ..plugins.marketplace import marketplace_for
from ..plugins.settings_store import Scope, redacted
from ..plugins.views import PluginView, plugin_view, plugin_views
from ..plugins.wheel import MAX_WHEEL_BYTES
from .deps import AdminUser, CurrentUser, ServicesDep, optional_user

router = APIRouter(prefix='/api/v1/plugins', tags=['plugins'])
PLUGIN_ROUTE_PREFIX = '/api/plugins'
FORM_OVERHEAD = 64 * 1024
UPLOAD_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['file'], 'properties': {
        'file': {'type': 'string', 'format': 'binary', 'description': 'A pure-Python plugin wheel (.whl).'},
        'consent': {'type': 'string', 'description': 'The permissions you consent to, comma-separated (default: '
                                                     'all the plugin asks for).'}}}}}}}


class EnabledChange(BaseModel):
    enabled: bool


class SettingsDocument(BaseModel):
    """A plugin's settings: JSON schema of its model, the values (secrets as `********`) and a stored-data error."""

    json_schema: dict[str, Any]
    values: dict[str, Any]
    error: str | None = None


class UninstallResult(BaseModel):
    restart_required: bool


@router.get('', response_model=list[PluginView])
async def list_plugins(user: CurrentUser, services: ServicesDep) -> list[PluginView]:
    """Installed plugins: administrators see all of them with state, load errors, recent hook errors and consent;
    other users see the plugins that are on, with `enabled_for_me`."""
    return await plugin_views(services.plugins, user)


@router.patch('/{plugin_id}', response_model=PluginView)
async def set_enabled(plugin_id: str, change: EnabledChange, admin: AdminUser, services: ServicesDep) -> PluginView:
    """Switch a plugin on or off for the whole instance (administrators)."""
    await services.plugins.set_enabled(plugin_id, change.enabled)
    return await plugin_view(services.plugins, plugin_id, admin)


@router.put('/{plugin_id}/me', response_model=PluginView)
async def set_enabled_for_me(plugin_id: str, change: EnabledChange, user: CurrentUser,
                             services: ServicesDep) -> PluginView:
    """Switch a user-toggleable plugin on or off for yourself only."""
    _visible(services.plugins, plugin_id, user)
    await services.plugins.set_user_enabled(plugin_id, user, change.enabled)
    return await plugin_view(services.plugins, plugin_id, user)


@router.get('/{plugin_id}/settings', response_model=SettingsDocument)
async def get_settings(plugin_id: str, admin: AdminUser, services: ServicesDep) -> SettingsDocument:
    """The instance-wide settings of a plugin (administrators)."""
    return await _settings_document(services.plugins, plugin_id, 'admin', admin)


@router.put('/{plugin_id}/settings', response_model=SettingsDocument)
async def put_settings(plugin_id: str, values: dict[str, Any], admin: AdminUser,
                       services: ServicesDep) -> SettingsDocument:
    """Replace the instance-wide settings; a secret sent back as `********` keeps its stored value."""
    await services.plugins.write_settings(plugin_id, 'admin', values)
    return await _settings_document(services.plugins, plugin_id, 'admin', admin)


@router.get('/{plugin_id}/user-settings', response_model=SettingsDocument)
async def get_user_settings(plugin_id: str, user: CurrentUser, services: ServicesDep) -> SettingsDocument:
    """Your own settings for a plugin."""
    _visible(services.plugins, plugin_id, user)
    return await _settings_document(services.plugins, plugin_id, 'user', user)


@router.put('/{plugin_id}/user-settings', response_model=SettingsDocument)
async def put_user_settings(plugin_id: str, values: dict[str, Any], user: CurrentUser,
                            services: ServicesDep) -> SettingsDocument:
    """Replace your own settings for a plugin."""
    _visible(services.plugins, plugin_id, user)
    await services.plugins.write_settings(plugin_id, 'user', values, user)
    return await _settings_document(services.plugins, plugin_id, 'user', user)


@router.post('/upload', response_model=PluginView, status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_wheel(request: Request, admin: AdminUser, services: ServicesDep) -> PluginView:
    """Install a plugin from an uploaded wheel (administrators). It works at once, without a restart.

    `consent` (comma-separated) must name every permission the wheel's manifest asks for, else 422
    `error.plugins.consent_required` lists the missing ones. Other refusals answer 422 with an `error.plugins.*` code
    and a message naming the problem: not a pure-Python wheel,
    no or invalid manifest, incompatible app or Python version, a missing dependency plugin, files that do not
    match the wheel's RECORD, unsafe or oversized archives. 409 when that version is already installed.
    """
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) - FORM_OVERHEAD > MAX_WHEEL_BYTES:
        raise InvalidInputError('error.plugins.wheel_too_large', 'The wheel is too large.',
                                limit=MAX_WHEEL_BYTES // (1024 * 1024))
    async with request.form(max_files=1, max_fields=4) as form:
        upload, consent = form.get('file'), form.get('consent')
        if not isinstance(upload, UploadFile):
            raise InvalidInputError('error.plugins.missing_wheel', 'Attach the wheel as the "file" form field.')
        data = await upload.read(MAX_WHEEL_BYTES + 1)
    permissions = [item.strip() for item in consent.split(',') if item.strip()] if isinstance(consent, str) else []
    plugin = await marketplace_for(services).install_wheel_data(data, source='upload', consent=permissions,
                                                                actor=admin)
    return await plugin_view(services.plugins, plugin.id, admin)


@router.delete('/{plugin_id}', response_model=UninstallResult)
async def uninstall(plugin_id: str, admin: AdminUser, services: ServicesDep) -> UninstallResult:
    """Uninstall a plugin installed from a wheel (administrators). Its routes, pages and hooks stop at once; its
    code leaves memory when the server restarts."""
    await services.plugins.uninstall(plugin_id)
    return UninstallResult(restart_required=True)


def mount_plugin_routes(app: FastAPI, manager: PluginManager) -> None:
    """Mount each plugin's routers when it loads (at start-up or right after an install)."""
    manager.on_load(lambda plugin: _mount(app, plugin))


def _mount(app: FastAPI, plugin: LoadedPlugin) -> None:
    mounted = {getattr(route, 'endpoint', None) for route in app.router.routes}
    for plugin_router in plugin.routers:
        endpoints = {getattr(route, 'endpoint', None) for route in plugin_router.routes}
        if endpoints & mounted:
            continue
        app.include_router(plugin_router, prefix=f'{PLUGIN_ROUTE_PREFIX}/{plugin.id}', tags=[f'plugin: {plugin.id}'],
                           dependencies=[Depends(_guard(plugin.id))])


def _guard(plugin_id: str) -> Any:
    async def plugin_enabled(request: Request) -> None:
        services = runtime.services()
        manager = services.plugins
        plugin = manager.find(plugin_id)
        if plugin is None or not plugin.active:
            raise NotFoundError('error.plugins.not_found', f'No plugin "{plugin_id}" is active.', plugin_id=plugin_id)
        if plugin.manifest.user_toggleable:
            user = await optional_user(request, services)
            if user is not None and not manager.is_enabled(plugin_id, user):
                raise NotFoundError('error.plugins.not_found', f'No plugin "{plugin_id}" is active.',
                                    plugin_id=plugin_id)
    return plugin_enabled


def _visible(manager: PluginManager, plugin_id: str, user: Any) -> None:
    """Non-admins may only address plugins that are on for the instance."""
    plugin = manager.get(plugin_id)
    if not user.is_admin and not plugin.active:
        raise NotFoundError('error.plugins.not_found', f'No plugin "{plugin_id}" is installed.', plugin_id=plugin_id)


async def _settings_document(manager: PluginManager, plugin_id: str, scope: Scope, user: Any) -> SettingsDocument:
    model = manager.settings_model(plugin_id, scope)
    read = await manager.read_settings(plugin_id, scope, user)
    values = redacted(model, read.values) if model is not None and read.values is not None else {}
    return SettingsDocument(json_schema=model.model_json_schema() if model else {}, values=values, error=read.error)
