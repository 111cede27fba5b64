"""Plugin index documents: the models, reading them (https://, file:// or a local path), merging several indexes
into one catalog, picking the version to install and matching revocations.

An index is a static JSON document listing plugins and their versions (wheel URL, sha256, size, requirements,
permissions, yanked) plus a list of revoked versions. `wheel_url` may be relative to the index; it is made absolute
when the index is read. Remote indexes are cached in the key-value store for ten minutes; local files are read fresh
on every look (they are cheap, and a rebuilt local index should show at once).
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import httpx
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import __version__ as APP_VERSION
from ..errors import NotFoundError
from ..infra.key_value import KeyValueStore
from .errors import PluginRefusedError, refused
from .manifest import PLUGIN_ID_PATTERN, specifier_accepts

INDEX_FILE_NAME = 'index.json'
CACHE_SECONDS = 10 * 60
CACHE_PREFIX = 'plugin-index:'
MAX_INDEX_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SCHEMA_VERSION = 1


class IndexVersion(BaseModel):
    """One released version of a plugin; `index_url` is filled in when read (which index listed it)."""

    model_config = ConfigDict(extra='ignore')

    version: str
    requires_app: str = ''
    requires_python: str = ''
    depends_on: dict[str, str] = Field(default_factory=dict)
    wheel_url: str
    sha256: str = Field(pattern=r'^[0-9a-f]{64}$')
    size: int = Field(default=0, ge=0)
    permissions: list[str] = Field(default_factory=list)
    released_at: datetime | None = None
    yanked: bool = False
    index_url: str = ''

    @field_validator('version')
    @classmethod
    def _check_version(cls, value: str) -> str:
        try:
            Version(value)
        except InvalidVersion:
            raise ValueError(f'"{value}" is not a version number') from None
        return value

    @property
    def parsed(self) -> Version:
        return Version(self.version)


class IndexPlugin(BaseModel):
    model_config = ConfigDict(extra='ignore')

    id: str = Field(pattern=PLUGIN_ID_PATTERN)
    name: str
    description: str = ''
    author: str = ''
    homepage: str = ''
    license: str = ''
    tags: list[str] = Field(default_factory=list)
    versions: list[IndexVersion] = Field(default_factory=list)

    def newest_first(self) -> list[IndexVersion]:
        return sorted(self.versions, key=lambda entry: entry.parsed, reverse=True)

    def find(self, version: str) -> IndexVersion | None:
        wanted = Version(version)
        return next((entry for entry in self.versions if entry.parsed == wanted), None)


class RevokedEntry(BaseModel):
    """Versions of a plugin that must not be installed, and are disabled where already installed."""

    model_config = ConfigDict(extra='ignore')

    id: str
    versions: str = ''
    reason: str = ''
    link: str = ''

    def matches(self, plugin_id: str, version: str) -> bool:
        if plugin_id != self.id:
            return False
        return self.versions.strip() in ('', '*') or specifier_accepts(self.versions, version)


class PluginIndex(BaseModel):
    model_config = ConfigDict(extra='ignore')

    schema_version: int = SCHEMA_VERSION
    generated_at: str = ''
    plugins: list[IndexPlugin] = Field(default_factory=list)
    revoked: list[RevokedEntry] = Field(default_factory=list)


@dataclass
class Catalog:
    """Several indexes merged: plugins by id (the first index listing an id gives its description; versions are
    pooled, the first listing of a version wins), every revocation, and the indexes that could not be read."""

    plugins: dict[str, IndexPlugin] = field(default_factory=dict)
    revoked: list[RevokedEntry] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def get(self, plugin_id: str) -> IndexPlugin:
        entry = self.plugins.get(plugin_id)
        if entry is None:
            raise NotFoundError('error.plugins.not_in_index', f'No plugin index lists a plugin "{plugin_id}".',
                                plugin_id=plugin_id)
        return entry

    def revocation(self, plugin_id: str, version: str) -> RevokedEntry | None:
        return next((entry for entry in self.revoked if entry.matches(plugin_id, version)), None)


@dataclass(frozen=True)
class Runtime:
    """The versions requirements are checked against: this app and this Python."""

    app_version: str = APP_VERSION
    python_version: str = field(default_factory=platform.python_version)


@dataclass(frozen=True)
class VersionStatus:
    """Whether one listed version can be installed here, for the marks the marketplace shows."""

    app_ok: bool
    python_ok: bool
    yanked: bool
    revoked: RevokedEntry | None

    @property
    def installable(self) -> bool:
        return self.app_ok and self.python_ok and not self.yanked and self.revoked is None


def version_status(plugin_id: str, entry: IndexVersion, catalog: Catalog, runtime: Runtime) -> VersionStatus:
    return VersionStatus(specifier_accepts(entry.requires_app, runtime.app_version),
                         specifier_accepts(entry.requires_python, runtime.python_version),
                         entry.yanked, catalog.revocation(plugin_id, entry.version))


def pick_version(catalog: Catalog, plugin_id: str, runtime: Runtime, version: str | None = None) -> IndexVersion:
    """The version to install: `version` when pinned (a yanked one is allowed then), else the newest that is not
    yanked or revoked and fits this app and Python. Every refusal names the problem."""
    plugin = catalog.get(plugin_id)
    if version:
        entry = plugin.find(version) if _is_version(version) else None
        if entry is None:
            raise refused('version_not_in_index', f'No plugin index lists version {version} of "{plugin_id}".',
                          plugin_id=plugin_id, version=version)
        check_installable(plugin, entry, catalog, runtime, pinned=True)
        return entry
    candidates = [entry for entry in plugin.newest_first() if not entry.yanked]
    if not candidates:
        raise refused('yanked', f'Every version of "{plugin_id}" was withdrawn (yanked) by its author.',
                      plugin_id=plugin_id, version=plugin.newest_first()[0].version if plugin.versions else '')
    for entry in candidates:
        if version_status(plugin_id, entry, catalog, runtime).installable:
            return entry
    check_installable(plugin, candidates[0], catalog, runtime, pinned=False)
    raise refused('no_compatible_version', f'No version of "{plugin_id}" can be installed here.', plugin_id=plugin_id)


def check_installable(plugin: IndexPlugin, entry: IndexVersion, catalog: Catalog, runtime: Runtime, *,
                      pinned: bool) -> None:
    """Refuse a revoked, yanked (unless pinned) or incompatible version, naming the reason (the compatibility codes
    are the ones loading a plugin uses)."""
    status = version_status(plugin.id, entry, catalog, runtime)
    if status.revoked is not None:
        reason = status.revoked.reason or 'no reason given'
        raise refused('revoked', f'Version {entry.version} of "{plugin.id}" was revoked by the index ({reason}) and '
                      'cannot be installed.', plugin_id=plugin.id, version=entry.version, reason=reason)
    if status.yanked and not pinned:
        raise refused('yanked', f'Version {entry.version} of "{plugin.id}" was withdrawn (yanked) by its author; '
                      'ask for that exact version to install it anyway.', plugin_id=plugin.id, version=entry.version)
    if not status.app_ok:
        raise refused('incompatible_app', f'{plugin.name} {entry.version} needs TavernAI Plus {entry.requires_app}; '
                      f'this is {runtime.app_version}.', plugin=plugin.name, version=entry.version,
                      required=entry.requires_app, actual=runtime.app_version)
    if not status.python_ok:
        raise refused('incompatible_python', f'{plugin.name} {entry.version} needs Python {entry.requires_python}; '
                      f'this server runs {runtime.python_version}.', plugin=plugin.name, version=entry.version,
                      required=entry.requires_python, actual=runtime.python_version)


def merge_indexes(indexes: list[PluginIndex], failures: dict[str, str] | None = None) -> Catalog:
    catalog = Catalog(failures=dict(failures or {}))
    for index in indexes:
        for plugin in index.plugins:
            known = catalog.plugins.get(plugin.id)
            if known is None:
                catalog.plugins[plugin.id] = plugin.model_copy(deep=True)
                continue
            listed = {entry.parsed for entry in known.versions}
            known.versions.extend(entry for entry in plugin.versions if entry.parsed not in listed)
        catalog.revoked.extend(index.revoked)
    return catalog


def parse_index(raw: bytes | str, index_url: str) -> PluginIndex:
    """Validate an index document and make its wheel URLs absolute (relative ones are resolved against the index)."""
    try:
        index = PluginIndex.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        problem = f'{".".join(str(part) for part in first["loc"]) or "document"}: {first["msg"]}'
        raise refused('index_invalid', f'The plugin index {index_url} is not valid ({problem}).', url=index_url,
                      problem=problem) from None
    if index.schema_version != SCHEMA_VERSION:
        raise refused('index_invalid', f'The plugin index {index_url} uses schema version {index.schema_version}; '
                      f'this server reads version {SCHEMA_VERSION}.', url=index_url,
                      problem=f'schema_version {index.schema_version}')
    remote = index_url.startswith(('http://', 'https://'))
    for plugin in index.plugins:
        for entry in plugin.versions:
            entry.wheel_url = urljoin(index_url, entry.wheel_url)
            entry.index_url = index_url
            if remote and not entry.wheel_url.startswith(('http://', 'https://')):
                problem = f'{plugin.id} {entry.version}: a web index may only list web wheel URLs'
                raise refused('index_invalid', f'The plugin index {index_url} is not valid ({problem}).',
                              url=index_url, problem=problem)
    return index


def index_location(source: str) -> str:
    """The URL of an index document: https:// and file:// URLs as given, a local path (file or folder holding
    `index.json`) as a file:// URL."""
    if source.startswith(('http://', 'https://', 'file://')):
        return source
    path = Path(source).expanduser().resolve()
    return (path / INDEX_FILE_NAME if path.is_dir() else path).as_uri()


def local_path(url: str) -> Path:
    """The file a file:// URL names, or a plain path."""
    if url.startswith('file://'):
        return Path(url2pathname(urlsplit(url).path))
    return Path(url)


class IndexReader:
    """Reads index documents; remote ones go through the key-value cache."""

    def __init__(self, http: httpx.AsyncClient, kv: KeyValueStore, cache_seconds: int = CACHE_SECONDS) -> None:
        self.http = http
        self.kv = kv
        self.cache_seconds = cache_seconds

    async def read(self, source: str, *, refresh: bool = False) -> PluginIndex:
        url = index_location(source)
        if url.startswith('file://'):
            return parse_index(await fetch_bytes(url, self.http, MAX_INDEX_BYTES, what='index'), url)
        key = CACHE_PREFIX + hashlib.sha256(url.encode()).hexdigest()
        cached = None if refresh else await self.kv.get(key)
        if cached is not None:
            return parse_index(cached, url)
        raw = await fetch_bytes(url, self.http, MAX_INDEX_BYTES, what='index')
        index = parse_index(raw, url)
        await self.kv.set(key, raw.decode('utf-8'), self.cache_seconds)
        return index

    async def catalog(self, sources: list[str], *, refresh: bool = False) -> Catalog:
        """Every readable index merged in the order given; unreadable ones are listed in `failures`."""
        indexes, failures = [], {}
        for source in sources:
            try:
                indexes.append(await self.read(source, refresh=refresh))
            except PluginRefusedError as error:
                failures[source] = error.message
        return merge_indexes(indexes, failures)


async def fetch_bytes(url: str, http: httpx.AsyncClient, max_bytes: int, *, what: str) -> bytes:
    """The bytes at an https://, http:// or file:// URL or a local path, refused past `max_bytes`."""
    if not url.startswith(('http://', 'https://')):
        return _read_local(local_path(url), url, max_bytes, what)
    try:
        async with http.stream('GET', url, timeout=FETCH_TIMEOUT, follow_redirects=True) as response:
            response.raise_for_status()
            parts, total = [], 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise _too_large(url, max_bytes, what)
                parts.append(chunk)
            return b''.join(parts)
    except httpx.HTTPStatusError as error:
        raise _unreachable(url, f'HTTP {error.response.status_code}', what) from None
    except httpx.HTTPError as error:
        raise _unreachable(url, str(error) or type(error).__name__, what) from None


def _read_local(path: Path, url: str, max_bytes: int, what: str) -> bytes:
    try:
        if path.stat().st_size > max_bytes:
            raise _too_large(url, max_bytes, what)
        return path.read_bytes()
    except OSError as error:
        raise _unreachable(url, error.strerror or str(error), what) from None


def _too_large(url: str, max_bytes: int, what: str) -> PluginRefusedError:
    megabytes = max(1, max_bytes // (1024 * 1024))
    return refused(f'{what}_too_large', f'The {what} at {url} is larger than {megabytes} MB.', url=url,
                   limit=megabytes)


def _unreachable(url: str, problem: str, what: str) -> PluginRefusedError:
    return refused(f'{what}_unreachable', f'The {what} at {url} cannot be read: {problem}.', url=url, problem=problem)


def _is_version(value: str) -> bool:
    try:
        Version(value)
    except InvalidVersion:
        return False
    return True
