"""`/api/v1/marketplace`: the plugins the configured indexes offer, and installing or updating them (admins).

Browsing is open to every signed-in user; installing needs an administrator and their consent to every permission
the chosen version asks for (`consent`). Uninstalling is `DELETE /api/v1/plugins/{id}`.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..plugins.manager import LoadedPlugin
from ..plugins.marketplace import MarketplaceListing, MarketplacePlugin, marketplace_for
from .deps import AdminUser, CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/marketplace', tags=['marketplace'])


class InstallRequest(BaseModel):
    id: str = Field(description='The plugin id as listed in the index.')
    version: str | None = Field(default=None, description='Pin this version (a yanked one is allowed when pinned); '
                                'default: the newest version that fits this server.')
    consent: list[str] = Field(default_factory=list, description='The permissions you consent to; it must include '
                               'every permission of the version installed.')


class UpdateRequest(BaseModel):
    id: str
    consent: list[str] = Field(default_factory=list, description='Consent to the permissions of the new version.')


class UrlInstallRequest(BaseModel):
    url: str = Field(description='An https:// or file:// URL of a plugin wheel (.whl).')
    consent: list[str] = Field(default_factory=list)


class InstallResult(BaseModel):
    id: str
    name: str
    version: str
    status: str = Field(description='enabled, disabled, revoked, restart_required or failed.')
    load_error: str | None
    restart_required: bool


@router.get('', response_model=MarketplaceListing)
async def list_plugins(user: CurrentUser, services: ServicesDep, q: str = '', tag: str = '',
                       refresh: bool = False) -> MarketplaceListing:
    """Every plugin of every configured index (and the local index), merged, optionally filtered by a search text
    (`q`: id, name, description, tags) and a `tag`; `refresh=true` reads remote indexes again instead of the
    ten-minute cache. Indexes that could not be read are listed in `unreadable_indexes`."""
    return await marketplace_for(services).listing(q, tag, refresh=refresh)


@router.get('/{plugin_id}', response_model=MarketplacePlugin)
async def plugin_detail(plugin_id: str, user: CurrentUser, services: ServicesDep) -> MarketplacePlugin:
    """One plugin with every listed version: requirements, permissions, compatibility, yanked and revoked marks."""
    return await marketplace_for(services).detail(plugin_id)


@router.post('/install', response_model=InstallResult, status_code=201)
async def install_plugin(body: InstallRequest, admin: AdminUser, services: ServicesDep) -> InstallResult:
    """Install a plugin from the indexes; it works at once, without a restart.

    Refused with 422 and an `error.plugins.*` code naming the problem: not listed, revoked, yanked (unless pinned),
    incompatible with this app or Python, a missing or incompatible dependency plugin, missing consent, a download
    whose sha256 differs from the index (tampered), or a wheel that is not the promised plugin."""
    plugin = await marketplace_for(services).install(body.id, version=body.version, consent=body.consent,
                                                     actor=admin)
    return _result(plugin)


@router.post('/update', response_model=InstallResult)
async def update_plugin(body: UpdateRequest, admin: AdminUser, services: ServicesDep) -> InstallResult:
    """Install the newest version that fits this server over the installed one (409 when it is already newest)."""
    return _result(await marketplace_for(services).update(body.id, consent=body.consent, actor=admin))


@router.post('/install-url', response_model=InstallResult, status_code=201)
async def install_from_url(body: UrlInstallRequest, admin: AdminUser, services: ServicesDep) -> InstallResult:
    """Install a plugin wheel from a URL. No index vouches for it (no sha256 pin), so only trusted URLs."""
    return _result(await marketplace_for(services).install_from_url(body.url, consent=body.consent, actor=admin))


def _result(plugin: LoadedPlugin) -> InstallResult:
    return InstallResult(id=plugin.id, name=plugin.manifest.name, version=plugin.version, status=plugin.status,
                         load_error=plugin.load_error, restart_required=plugin.restart_required)
