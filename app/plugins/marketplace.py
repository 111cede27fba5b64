"""Installing plugins from indexes: the marketplace listing, install by id (and version), update, install from a
wheel URL, uninstall, and the start-up revocation check.

The flow for an install from an index: pick the version (newest compatible, not yanked or revoked; a pinned version
may be yanked), refuse a missing or incompatible dependency, require consent to every permission the version asks
for, download the wheel (size-capped), compare its sha256 with the index ("tampered" otherwise), check that the
wheel's manifest is the plugin and version the index promised, then hand it to `PluginManager.install_wheel`,
which unpacks and loads it without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from packaging.version import Version
from pydantic import BaseModel, Field

from ..config import Settings
from ..errors import TavernError
from ..infra.key_value import KeyValueStore
from ..services.card_formats.limits import MEGABYTE
from .errors import PluginStateError, refused
from .index import (
    INDEX_FILE_NAME,
    Catalog,
    IndexPlugin,
    IndexReader,
    IndexVersion,
    Runtime,
    fetch_bytes,
    pick_version,
    version_status,
)
from .local_index import build_local_index, local_index_dir
from .manifest import PluginManifest
from .wheel import MAX_WHEEL_BYTES, read_wheel_manifest

if TYPE_CHECKING:
    from ..db.models import User
    from ..services.container import Services
    from .manager import LoadedPlugin, PluginManager

log = logging.getLogger(__name__)


class MarketplaceVersion(BaseModel):
    """One listed version with the marks the marketplace shows."""

    version: str
    requires_app: str
    requires_python: str
    depends_on: dict[str, str]
    permissions: list[str]
    size: int
    released_at: datetime | None
    yanked: bool
    compatible: bool = Field(description='This app and Python version satisfy its requirements.')
    revoked: str | None = Field(description='Why the index revoked it; null when it is not revoked.')
    installable: bool = Field(description='Compatible, not yanked and not revoked.')


class MarketplacePlugin(BaseModel):
    id: str
    name: str
    description: str
    author: str
    homepage: str
    license: str
    tags: list[str]
    versions: list[MarketplaceVersion] = Field(description='Newest first.')
    latest: str | None = Field(description='The version an install would choose; null when none can be installed.')
    installed_version: str | None
    installed_status: str | None = Field(description='enabled, disabled, revoked, restart_required or failed.')
    update_available: bool


class MarketplaceListing(BaseModel):
    plugins: list[MarketplacePlugin]
    tags: list[str] = Field(description='Every tag of every listed plugin, sorted.')
    unreadable_indexes: dict[str, str] = Field(description='Index URL → why it could not be read.')


@dataclass(frozen=True)
class RevocationNotice:
    plugin_id: str
    version: str
    reason: str


def index_sources(settings: Settings) -> list[str]:
    """The indexes to read, in priority order: the local index (when built), then `TAVERN_PLUGIN_INDEX_URLS`."""
    local = local_index_dir(settings) / INDEX_FILE_NAME
    return [*([str(local)] if local.is_file() else []), *settings.plugin_index_urls]


def marketplace_for(services: Services) -> Marketplace:
    return Marketplace(services.settings, services.http, services.kv, services.plugins)


async def start_marketplace(services: Services) -> list[RevocationNotice]:
    """Start-up, after the plugins are loaded: build the first-party plugins into the local index, then stop every
    installed version an index revoked. Neither may keep the server from starting, so failures are only logged."""
    try:
        await asyncio.to_thread(build_local_index, services.settings)
    except OSError:
        log.exception('The local plugin index could not be built')
    try:
        notices = await marketplace_for(services).check_revocations()
    except TavernError as error:
        log.warning('The plugin revocation check failed: %s', error.message)
        return []
    for notice in notices:
        log.warning('Plugin %s %s was revoked by its index and is disabled: %s', notice.plugin_id, notice.version,
                    notice.reason)
    return notices


class Marketplace:
    """The install flow; cheap to build (no state of its own beyond the index cache in the key-value store)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, kv: KeyValueStore,
                 plugins: PluginManager) -> None:
        self.settings = settings
        self.http = http
        self.plugins = plugins
        self.reader = IndexReader(http, kv)
        self.runtime = Runtime()

    async def catalog(self, *, refresh: bool = False) -> Catalog:
        return await self.reader.catalog(index_sources(self.settings), refresh=refresh)

    async def listing(self, query: str = '', tag: str = '', *, refresh: bool = False) -> MarketplaceListing:
        """Every listed plugin matching `query` (id, name, description or tag) and `tag`, by name."""
        catalog = await self.catalog(refresh=refresh)
        entries = [self._entry(catalog, plugin) for plugin in catalog.plugins.values()]
        tags = sorted({tag for entry in entries for tag in entry.tags}, key=str.casefold)
        shown = sorted(matching(entries, query, tag), key=lambda entry: entry.name.casefold())
        return MarketplaceListing(plugins=shown, tags=tags, unreadable_indexes=catalog.failures)

    async def detail(self, plugin_id: str, *, refresh: bool = False) -> MarketplacePlugin:
        catalog = await self.catalog(refresh=refresh)
        return self._entry(catalog, catalog.get(plugin_id))

    async def resolve(self, plugin_id: str, version: str | None = None) -> tuple[IndexPlugin, IndexVersion]:
        """The plugin and the version an install would take (refusing revoked, yanked or incompatible ones)."""
        catalog = await self.catalog()
        return catalog.get(plugin_id), pick_version(catalog, plugin_id, self.runtime, version)

    async def install(self, plugin_id: str, *, version: str | None = None, consent: list[str],
                      actor: User | None = None) -> LoadedPlugin:
        """Install `plugin_id` from the indexes (the newest installable version unless `version` is pinned)."""
        plugin, entry = await self.resolve(plugin_id, version)
        return await self._install_entry(plugin, entry, consent, actor)

    async def update(self, plugin_id: str, *, consent: list[str], actor: User | None = None) -> LoadedPlugin:
        """Install the newest installable version when it is newer than the installed one."""
        installed = self.plugins.get(plugin_id)
        plugin, entry = await self.resolve(plugin_id)
        if entry.parsed <= Version(installed.version):
            raise PluginStateError('error.plugins.up_to_date', f'{installed.manifest.name} {installed.version} is '
                                   'the newest version that can be installed here.', plugin=installed.manifest.name,
                                   version=installed.version)
        return await self._install_entry(plugin, entry, consent, actor)

    async def download_wheel(self, url: str) -> tuple[bytes, PluginManifest]:
        """A wheel from an https:// or file:// URL, checked and with its manifest (for the consent question)."""
        data = await fetch_bytes(url, self.http, MAX_WHEEL_BYTES, what='wheel')
        return data, read_wheel_manifest(data)

    async def install_wheel_data(self, data: bytes, *, source: str, consent: list[str], url: str = '',
                                 actor: User | None = None) -> LoadedPlugin:
        """Install a wheel no index vouches for (an admin's upload or URL): no sha256 pin, consent still needed."""
        manifest = read_wheel_manifest(data)
        require_consent(manifest.id, [str(permission) for permission in manifest.permissions], consent)
        return await self.plugins.install_wheel(data, source=source, index_url=url or None, consent=consent,
                                                actor=actor)

    async def install_from_url(self, url: str, *, consent: list[str], actor: User | None = None) -> LoadedPlugin:
        data, _ = await self.download_wheel(url)
        return await self.install_wheel_data(data, source='url', consent=consent, url=url, actor=actor)

    async def uninstall(self, plugin_id: str) -> None:
        await self.plugins.uninstall(plugin_id)

    async def check_revocations(self) -> list[RevocationNotice]:
        """Start-up: stop every installed plugin whose version an index revoked (the plugins page shows why)."""
        installed = [plugin for plugin in self.plugins.loaded() if not plugin.removed]
        if not installed:
            return []
        catalog = await self.catalog()
        notices = []
        for plugin in installed:
            revocation = catalog.revocation(plugin.id, plugin.version)
            if revocation is not None:
                reason = revocation.reason or 'revoked by the plugin index'
                await self.plugins.mark_revoked(plugin.id, reason)
                notices.append(RevocationNotice(plugin.id, plugin.version, reason))
        return notices

    async def _install_entry(self, plugin: IndexPlugin, entry: IndexVersion, consent: list[str],
                             actor: User | None) -> LoadedPlugin:
        self.plugins.check_requirements(_manifest_listed(plugin, entry))
        require_consent(plugin.id, entry.permissions, consent)
        if entry.size > MAX_WHEEL_BYTES:
            raise refused('wheel_too_large', f'The wheel at {entry.wheel_url} is larger than '
                          f'{MAX_WHEEL_BYTES // MEGABYTE} MB.', url=entry.wheel_url, limit=MAX_WHEEL_BYTES // MEGABYTE)
        data = await fetch_bytes(entry.wheel_url, self.http, MAX_WHEEL_BYTES, what='wheel')
        check_sha256(plugin, entry, data)
        manifest = read_wheel_manifest(data)
        if manifest.id != plugin.id or Version(manifest.version) != entry.parsed:
            raise refused('index_mismatch', f'The index lists {plugin.id} {entry.version}, but the wheel holds '
                          f'{manifest.id} {manifest.version}; it was not installed.', plugin_id=plugin.id,
                          version=entry.version, wheel_id=manifest.id, wheel_version=manifest.version)
        return await self.plugins.install_wheel(data, source='index', expected_sha256=entry.sha256,
                                                index_url=entry.index_url, consent=consent, actor=actor)

    def _entry(self, catalog: Catalog, plugin: IndexPlugin) -> MarketplacePlugin:
        versions = [self._version(catalog, plugin.id, entry) for entry in plugin.newest_first()]
        latest = next((version.version for version in versions if version.installable), None)
        installed = self.plugins.find(plugin.id)
        if installed is not None and installed.removed:
            installed = None
        update = bool(installed and latest and Version(latest) > Version(installed.version))
        return MarketplacePlugin(id=plugin.id, name=plugin.name, description=plugin.description,
                                 author=plugin.author, homepage=plugin.homepage, license=plugin.license,
                                 tags=plugin.tags, versions=versions, latest=latest,
                                 installed_version=installed.version if installed else None,
                                 installed_status=installed.status if installed else None, update_available=update)

    def _version(self, catalog: Catalog, plugin_id: str, entry: IndexVersion) -> MarketplaceVersion:
        status = version_status(plugin_id, entry, catalog, self.runtime)
        revoked = (status.revoked.reason or 'revoked') if status.revoked is not None else None
        return MarketplaceVersion(version=entry.version, requires_app=entry.requires_app,
                                  requires_python=entry.requires_python, depends_on=entry.depends_on,
                                  permissions=entry.permissions, size=entry.size, released_at=entry.released_at,
                                  yanked=entry.yanked, compatible=status.app_ok and status.python_ok,
                                  revoked=revoked, installable=status.installable)


def check_sha256(plugin: IndexPlugin, entry: IndexVersion, data: bytes) -> None:
    """Before the wheel is even opened: it must be the exact file the index pinned (same code as the installer's)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != entry.sha256:
        raise refused('tampered', f'The downloaded wheel of {plugin.name} {entry.version} does not match the sha256 '
                      'the index lists; it may have been tampered with and was not installed.',
                      expected=entry.sha256, actual=actual)


def require_consent(plugin_id: str, permissions: list[str], consent: list[str]) -> None:
    missing = sorted(set(permissions) - set(consent))
    if missing:
        raise refused('consent_required', f'Installing "{plugin_id}" needs your consent to these permissions: '
                      f'{", ".join(missing)}.', plugin_id=plugin_id, permissions=', '.join(missing))


def matching(plugins: list[MarketplacePlugin], query: str = '', tag: str = '') -> list[MarketplacePlugin]:
    """The plugins whose id, name, description or tags contain `query` and that carry `tag` (both optional)."""
    needle, wanted = query.strip().casefold(), tag.casefold()
    return [plugin for plugin in plugins
            if (not wanted or wanted in (value.casefold() for value in plugin.tags))
            and needle in ' '.join([plugin.id, plugin.name, plugin.description, *plugin.tags]).casefold()]


def _manifest_listed(plugin: IndexPlugin, entry: IndexVersion) -> PluginManifest:
    """What the index says about a version, as a manifest, so the loader's own requirement checks can run on it
    before anything is downloaded."""
    return PluginManifest(id=plugin.id, name=plugin.name, version=entry.version, requires_app=entry.requires_app,
                          requires_python=entry.requires_python, depends_on=entry.depends_on)
