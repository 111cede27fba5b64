"""The plugin host: loads plugins, keeps their state, and calls their hooks with isolation.

One `PluginManager` per process (`services.plugins`). Hooks are declared with pluggy (`hookspecs.py`), but the
host never lets pluggy call them: `call_each` and `pipe` walk the implementations in load order and run each one
on its own — skipped when the plugin is off (globally, or for the given user when it is user-toggleable), awaited
when async, cut off after a timeout, and with every exception caught, recorded in `plugin_error` and counted — so
a broken plugin can never break a chat. Sync implementations run inline and must be fast: one cannot be
interrupted, so a sync hook that overruns the timeout keeps its result but is recorded as an error.

A manager built by `build_services` starts empty: nothing is discovered until `load_discovered()` (the server
does that at start-up) or `load_modules()` (tests and the plugin harness), so the core app behaves exactly as
without plugins and every `has_impls` is False.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.resources
import inspect
import logging
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
from pydantic import BaseModel

from .. import __version__ as APP_VERSION
from ..config import Settings
from ..db.database import Database
from ..infra.key_value import KeyValueStore
from . import hookspecs
from .context import PluginContext, PluginKeyValue
from .discovery import SOURCE_ENVIRONMENT, SOURCE_LOCAL, SOURCE_SITE, Candidate, discover
from .errors import PluginNotFoundError, PluginRefusedError, PluginStateError, refused
from .manifest import MANIFEST_NAME, PLUGIN_ID_PATTERN, PluginManifest, parse_manifest, specifier_accepts
from .settings_store import PluginSettingsStore, Scope, SettingsRead
from .state_store import PluginStateStore, RecordedError

if TYPE_CHECKING:
    from ..db.models import User
    from ..services.container import Services

log = logging.getLogger(__name__)
T = TypeVar('T')
PYTHON_VERSION = '.'.join(str(part) for part in sys.version_info[:3])
SOURCE_EXPLICIT = 'explicit'
TRANSFORM_HOOKS = ('prompt_messages', 'stream_delta', 'reply_finished', 'message_submitted', 'render_message')
INSTALL_SOURCES = {SOURCE_SITE: 'upload', SOURCE_ENVIRONMENT: 'environment', SOURCE_LOCAL: 'local',
                   SOURCE_EXPLICIT: 'environment'}
LoadListener = Callable[['LoadedPlugin'], None]


@dataclass
class LoadedPlugin:
    """A plugin the manager knows: what it is, whether it runs, and what it contributed when it loaded."""

    manifest: PluginManifest
    source: str
    module_name: str
    module: ModuleType | None = None
    enabled: bool = True
    restart_required: bool = False
    removed: bool = False
    load_error: str | None = None
    revoked: str | None = None
    context: PluginContext | None = None
    settings_model: type[BaseModel] | None = None
    user_settings_model: type[BaseModel] | None = None
    settings_error: str | None = None
    routers: list[Any] = field(default_factory=list)
    pages: dict[str, Any] = field(default_factory=dict)
    error_count: int = 0

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def active(self) -> bool:
        """Loaded, switched on globally, not revoked and not uninstalled."""
        return (self.module is not None and self.enabled and not self.removed and self.revoked is None
                and self.load_error is None)

    @property
    def status(self) -> str:
        """One word for the plugins page: failed, revoked, restart_required, enabled or disabled."""
        if self.load_error is not None:
            return 'failed'
        if self.revoked is not None:
            return 'revoked'
        if self.removed or self.restart_required:
            return 'restart_required'
        return 'enabled' if self.enabled else 'disabled'


class PluginManager:
    def __init__(self, settings: Settings, db: Database, kv: KeyValueStore) -> None:
        self.settings = settings
        self.db = db
        self.kv = kv
        self.state = PluginStateStore(db)
        self.config = PluginSettingsStore(db)
        self.error_counts: Counter[str] = Counter()
        self._services: Services | None = None
        self._pluggy = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pluggy.add_hookspecs(hookspecs)
        self._plugins: dict[str, LoadedPlugin] = {}
        self._user_switches: dict[str, dict[str, bool]] = {}
        self._impls: dict[str, list[tuple[LoadedPlugin, pluggy.HookImpl]]] = {}
        self._listeners: list[LoadListener] = []
        self._tasks: set[asyncio.Task] = set()
        self._value_args = {hook: _value_arg(hook) for hook in TRANSFORM_HOOKS}

    # ----- wiring
    def attach(self, services: Services) -> None:
        """Give plugin contexts the app's services (set once by `build_services`)."""
        self._services = services

    def on_load(self, listener: LoadListener) -> None:
        """Call `listener(plugin)` for every plugin that loads (now, for those already loaded); the server uses
        it to mount routes and pages, also for plugins installed while it runs."""
        self._listeners.append(listener)
        for plugin in self._plugins.values():
            if plugin.module is not None and plugin.load_error is None:
                listener(plugin)

    # ----- the host API
    def loaded(self) -> list[LoadedPlugin]:
        return list(self._plugins.values())

    def find(self, plugin_id: str) -> LoadedPlugin | None:
        return self._plugins.get(plugin_id)

    def get(self, plugin_id: str) -> LoadedPlugin:
        plugin = self._plugins.get(plugin_id)
        if plugin is None:
            raise PluginNotFoundError(plugin_id)
        return plugin

    def is_enabled(self, plugin_id: str, user: User | None = None) -> bool:
        plugin = self._plugins.get(plugin_id)
        if plugin is None or not plugin.active:
            return False
        if user is not None and plugin.manifest.user_toggleable:
            return self._user_switches.get(user.id, {}).get(plugin_id, True)
        return True

    def user_enabled(self, plugin_id: str, user: User) -> bool:
        """The user's own switch (True unless they turned the plugin off)."""
        return self._user_switches.get(user.id, {}).get(plugin_id, True)

    def has_impls(self, hook: str) -> bool:
        return any(plugin.active for plugin, _ in self._impls_of(hook))

    async def call_each(self, hook: str, *, user: User | None = None, timeout: float | None = None,
                        **kwargs: Any) -> list[tuple[str, Any]]:
        results: list[tuple[str, Any]] = []
        for plugin, impl in self._impls_of(hook):
            if not self.is_enabled(plugin.id, user):
                continue
            ok, value = await self._invoke(plugin, hook, impl, {'user': user, **kwargs}, timeout)
            if ok and value is not None:
                results.append((plugin.id, value))
        return results

    async def pipe(self, hook: str, value: T, *, user: User | None = None, timeout: float | None = None,
                   **kwargs: Any) -> T:
        name = self._value_args.get(hook)
        if name is None:
            raise ValueError(f'{hook} is not a hook with a value to transform')
        for plugin, impl in self._impls_of(hook):
            if not self.is_enabled(plugin.id, user):
                continue
            ok, result = await self._invoke(plugin, hook, impl, {'user': user, **kwargs, name: value}, timeout)
            if not ok or result is None:
                continue
            if not _same_kind(value, result):
                await self._record(plugin, hook, f'returned {type(result).__name__} instead of '
                                                 f'{type(value).__name__}; the result was ignored', '')
                continue
            value = result
        return value

    def notify(self, event: str, payload: dict) -> None:
        if not self.has_impls('event'):
            return
        try:
            task = asyncio.get_running_loop().create_task(self.call_each('event', name=event, payload=payload))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def record_error(self, plugin_id: str, hook: str, message: str, detail: str = '') -> None:
        """Record a failure of something the plugin handed over (a slot builder, a command, an export) like a
        failed hook: on the plugins page and in its error count."""
        await self._record(self.get(plugin_id), hook, message, detail)

    async def install_wheel(self, data: bytes, *, source: str, expected_sha256: str | None = None,
                            index_url: str | None = None, consent: list[str] | None = None,
                            actor: User | None = None) -> LoadedPlugin:
        from .installer import PluginInstaller

        return await PluginInstaller(self).install(data, source=source, expected_sha256=expected_sha256,
                                                   index_url=index_url, consent=consent, actor=actor)

    async def uninstall(self, plugin_id: str) -> None:
        from .installer import PluginInstaller

        await PluginInstaller(self).uninstall(plugin_id)

    # ----- loading
    async def load_discovered(self) -> list[LoadedPlugin]:
        """Start-up: load every plugin discovery finds, in dependency order, with its stored state."""
        await self._load_state()
        return await self._load_candidates(discover(self.settings))

    async def load_modules(self, modules: Iterable[ModuleType | str]) -> list[LoadedPlugin]:
        """Load exactly these plugin modules (tests, the plugin harness); their manifests sit in their packages."""
        await self._load_state()
        candidates = [_explicit_candidate(module) for module in modules]
        return await self._load_candidates(candidates)

    async def load_candidate(self, candidate: Candidate, *, from_version: str | None = None,
                             installing: bool = False) -> LoadedPlugin:
        """Load one plugin now (after an install); `from_version` is set for an upgrade."""
        plugin = await self._load(candidate, stored=await self.state.install_row(candidate.plugin_id))
        if plugin.load_error is None and installing:
            hook = 'on_upgrade' if from_version else 'on_install'
            await self.call_one(plugin, hook, from_version=from_version)
        if plugin.load_error is None:
            await self.call_one(plugin, 'startup')
        return plugin

    async def shutdown(self) -> None:
        for plugin in self._plugins.values():
            if plugin.active:
                await self.call_one(plugin, 'shutdown')
        for task in list(self._tasks):
            task.cancel()

    def forget_module(self, plugin: LoadedPlugin) -> None:
        """Stop calling an uninstalled plugin's hooks; its modules stay imported until the restart."""
        if self._pluggy.get_plugin(plugin.id) is not None:
            self._pluggy.unregister(name=plugin.id)
        plugin.removed = True
        plugin.restart_required = True
        self._impls.clear()

    def forget_failed(self, plugin: LoadedPlugin) -> None:
        """Drop a plugin whose install was rolled back because it failed to load."""
        if self._pluggy.get_plugin(plugin.id) is not None:
            self._pluggy.unregister(name=plugin.id)
        if self._plugins.get(plugin.id) is plugin:
            del self._plugins[plugin.id]
        self._impls.clear()

    # ----- state changes
    async def set_enabled(self, plugin_id: str, enabled: bool) -> LoadedPlugin:
        """The admin's global switch."""
        plugin = self.get(plugin_id)
        if plugin.removed:
            raise PluginStateError('error.plugins.already_removed', f'{plugin.manifest.name} is already uninstalled; '
                                   'restart the server to finish.', plugin=plugin.manifest.name)
        if enabled and plugin.revoked is not None:
            raise PluginStateError('error.plugins.revoked_enable',
                                   f'{plugin.manifest.name} {plugin.version} was revoked and cannot be enabled: '
                                   f'{plugin.revoked}', plugin=plugin.manifest.name, reason=plugin.revoked)
        await self._ensure_install_row(plugin)
        await self.state.set_enabled(plugin_id, enabled)
        was = plugin.active
        plugin.enabled = enabled
        if plugin.active != was and plugin.module is not None:
            await self.call_one(plugin, 'on_enable' if enabled else 'on_disable', user=None)
        return plugin

    async def set_user_enabled(self, plugin_id: str, user: User, enabled: bool) -> LoadedPlugin:
        """One user's own switch; only for plugins whose manifest says `user_toggleable`."""
        plugin = self.get(plugin_id)
        if not plugin.manifest.user_toggleable:
            raise PluginStateError('error.plugins.not_user_toggleable',
                                   f'{plugin.manifest.name} is on or off for everyone; only an administrator can '
                                   'switch it.', plugin=plugin.manifest.name)
        await self.state.set_user_enabled(user.id, plugin_id, enabled)
        was = self.user_enabled(plugin_id, user)
        self._user_switches.setdefault(user.id, {})[plugin_id] = enabled
        if was != enabled and plugin.active:
            await self.call_one(plugin, 'on_enable' if enabled else 'on_disable', user=user)
        return plugin

    async def mark_revoked(self, plugin_id: str, reason: str) -> None:
        """Stop a plugin whose installed version was revoked by an index (called at start-up by the index code)."""
        plugin = self._plugins.get(plugin_id)
        if plugin is not None:
            plugin.revoked = reason or 'revoked'
            self._impls.clear()

    async def recent_errors(self, plugin_id: str, limit: int = 10) -> list[RecordedError]:
        return await self.state.recent_errors(plugin_id, limit)

    # ----- settings
    def settings_model(self, plugin_id: str, scope: Scope) -> type[BaseModel] | None:
        plugin = self.get(plugin_id)
        return plugin.settings_model if scope == 'admin' else plugin.user_settings_model

    async def read_settings(self, plugin_id: str, scope: Scope, user: User | None = None) -> SettingsRead:
        model = self._require_model(plugin_id, scope)
        return await self.config.read(plugin_id, scope, model, user.id if scope == 'user' and user else None)

    async def write_settings(self, plugin_id: str, scope: Scope, data: dict[str, Any],
                             user: User | None = None) -> BaseModel:
        model = self._require_model(plugin_id, scope)
        values = await self.config.write(plugin_id, scope, model, data, user.id if scope == 'user' and user else None)
        if scope == 'admin':
            plugin = self.get(plugin_id)
            plugin.settings_error = None
            if plugin.context is not None:
                plugin.context._settings = values
        return values

    def _require_model(self, plugin_id: str, scope: Scope) -> type[BaseModel]:
        model = self.settings_model(plugin_id, scope)
        if model is None:
            raise PluginStateError('error.plugins.no_settings', 'This plugin has no settings of this kind.')
        return model

    # ----- calling one plugin
    async def call_one(self, plugin: LoadedPlugin, hook: str, *, timeout: float | None = None,
                       **kwargs: Any) -> list[Any]:
        """Every implementation of `hook` in one plugin (isolated like `call_each`); the non-None results."""
        results = []
        for owner, impl in self._impls_of(hook):
            if owner is plugin:
                ok, value = await self._invoke(plugin, hook, impl, kwargs, timeout)
                if ok and value is not None:
                    results.append(value)
        return results

    async def _invoke(self, plugin: LoadedPlugin, hook: str, impl: pluggy.HookImpl, available: dict[str, Any],
                      timeout: float | None) -> tuple[bool, Any]:
        arguments = {'ctx': plugin.context, **available}
        accepted = {name: arguments[name] for name in (*impl.argnames, *impl.kwargnames) if name in arguments}
        limit = timeout if timeout is not None else self.settings.plugin_hook_timeout_seconds
        try:
            started = time.monotonic()
            result = impl.function(**accepted)
            if inspect.isawaitable(result):
                async with asyncio.timeout(limit):  # awaited in the caller's task: no task per call
                    result = await result
            elif (spent := time.monotonic() - started) > limit:
                await self._record(plugin, hook, f'a sync hook took {spent:.2f} s (limit {limit:g} s) and held up '
                                                 'the server; make it async so it can be cut off', '')
            return True, result
        except TimeoutError:
            await self._record(plugin, hook, f'did not finish within {limit:g} s and was cancelled', '')
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a plugin's failure must never reach the caller
            await self._record(plugin, hook, f'{type(error).__name__}: {error}', traceback.format_exc())
        return False, None

    async def _record(self, plugin: LoadedPlugin, hook: str, message: str, detail: str) -> None:
        plugin.error_count += 1
        self.error_counts[plugin.id] += 1
        log.warning('plugin %s hook %s failed: %s', plugin.id, hook, message)
        try:
            await self.state.record_error(plugin.id, hook, message, detail)
        except Exception:  # the error table must not turn one plugin failure into an app failure
            log.exception('could not record the error of plugin %s', plugin.id)

    def _impls_of(self, hook: str) -> list[tuple[LoadedPlugin, pluggy.HookImpl]]:
        cached = self._impls.get(hook)
        if cached is None:
            caller = getattr(self._pluggy.hook, hook, None)
            by_plugin: dict[str, list[pluggy.HookImpl]] = {}
            for impl in caller.get_hookimpls() if caller is not None else ():
                by_plugin.setdefault(impl.plugin_name, []).append(impl)
            cached = [(plugin, impl) for plugin in self._plugins.values() for impl in by_plugin.get(plugin.id, ())]
            self._impls[hook] = cached
        return cached

    # ----- loading, step by step
    async def _load_state(self) -> None:
        self._user_switches = await self.state.user_switches()

    async def _load_candidates(self, candidates: list[Candidate]) -> list[LoadedPlugin]:
        stored = await self.state.installs()
        loaded = []
        for candidate in _dependency_order(candidates):
            if candidate.plugin_id in self._plugins and not self._plugins[candidate.plugin_id].removed:
                continue
            plugin = await self._load(candidate, stored=stored.get(candidate.plugin_id))
            loaded.append(plugin)
        for plugin in loaded:
            if plugin.load_error is None:
                await self.call_one(plugin, 'startup')
        return loaded

    async def _load(self, candidate: Candidate, *, stored: Any) -> LoadedPlugin:
        manifest = candidate.manifest or _placeholder_manifest(candidate.plugin_id)
        plugin = LoadedPlugin(manifest=manifest, source=candidate.source, module_name=candidate.module_name,
                              enabled=stored.enabled if stored is not None else True)
        previous = self._plugins.get(candidate.plugin_id)
        if previous is not None and previous.module is not None:
            plugin.restart_required = previous.version != manifest.version
        self._plugins[plugin.id] = plugin
        self._impls.clear()
        try:
            if candidate.problem:
                raise refused('invalid_manifest', candidate.problem, where=candidate.plugin_id,
                              problem=candidate.problem)
            self.check_requirements(manifest)
            plugin.module = self._import(plugin)
            self._register(plugin)
        except PluginRefusedError as error:
            plugin.load_error = error.message
            return plugin
        except Exception as error:  # importing foreign code can raise anything
            plugin.load_error = f'{type(error).__name__}: {error}'
            await self._record(plugin, 'load', plugin.load_error, traceback.format_exc())
            return plugin
        await self._collect_contributions(plugin)
        if plugin.load_error is None:
            for listener in self._listeners:
                listener(plugin)
        return plugin

    def check_requirements(self, manifest: PluginManifest) -> None:
        """Refuse a plugin this app, this Python or the loaded plugins cannot satisfy."""
        if not manifest.accepts_app(APP_VERSION):
            raise refused('incompatible_app', f'{manifest.name} {manifest.version} needs TavernAI Plus '
                          f'{manifest.requires_app}; this is {APP_VERSION}.', plugin=manifest.name,
                          required=manifest.requires_app, actual=APP_VERSION)
        if not manifest.accepts_python(PYTHON_VERSION):
            raise refused('incompatible_python', f'{manifest.name} {manifest.version} needs Python '
                          f'{manifest.requires_python}; this server runs {PYTHON_VERSION}.', plugin=manifest.name,
                          required=manifest.requires_python, actual=PYTHON_VERSION)
        for dependency, specifier in manifest.depends_on.items():
            present = self._plugins.get(dependency)
            if present is None or present.module is None or present.load_error or present.removed:
                raise refused('missing_dependency', f'{manifest.name} needs the plugin "{dependency}" '
                              f'{specifier}; install it first.', plugin=manifest.name, dependency=dependency,
                              required=specifier)
            if not specifier_accepts(specifier, present.version):
                raise refused('incompatible_dependency', f'{manifest.name} needs the plugin "{dependency}" '
                              f'{specifier}, but {present.version} is installed.', plugin=manifest.name,
                              dependency=dependency, required=specifier, actual=present.version)

    def _import(self, plugin: LoadedPlugin) -> ModuleType:
        importlib.invalidate_caches()
        return importlib.import_module(plugin.module_name)

    def _register(self, plugin: LoadedPlugin) -> None:
        assert plugin.module is not None
        if self._pluggy.get_plugin(plugin.id) is not None:
            self._pluggy.unregister(name=plugin.id)
        try:
            self._pluggy.register(plugin.module, name=plugin.id)
        except (ValueError, pluggy.PluginValidationError) as error:
            raise refused('invalid_hooks', f'{plugin.manifest.name} declares a hook wrongly: {error}',
                          plugin=plugin.manifest.name, problem=str(error)) from None
        unknown = [caller.name for caller in self._pluggy.get_hookcallers(plugin.module) or []
                   if caller.spec is None]
        if unknown:
            self._pluggy.unregister(name=plugin.id)
            raise refused('invalid_hooks', f'{plugin.manifest.name} implements hooks that do not exist: '
                          f'{", ".join(unknown)}.', plugin=plugin.manifest.name, problem=', '.join(unknown))
        plugin.settings_model = _model_named(plugin.module, 'Settings')
        plugin.user_settings_model = _model_named(plugin.module, 'UserSettings')
        plugin.context = PluginContext(plugin_id=plugin.id, manifest=plugin.manifest, app_version=APP_VERSION,
                                       kv=PluginKeyValue(self.kv, plugin.id),
                                       log=logging.getLogger(f'plugins.{plugin.id}'), module=plugin.module,
                                       _services_of=self._require_services,
                                       _user_settings_of=self._user_settings_reader(plugin))
        self._impls.clear()

    async def _collect_contributions(self, plugin: LoadedPlugin) -> None:
        """Settings, own tables, routes and pages: everything a plugin hands over once, at load."""
        if plugin.settings_model is not None and plugin.context is not None:
            read = await self.config.read(plugin.id, 'admin', plugin.settings_model)
            plugin.context._settings, plugin.settings_error = read.values, read.error
        tables = [table for result in await self.call_one(plugin, 'register_tables') for table in _as_list(result)]
        if tables:
            await self._create_tables(plugin, tables)
        plugin.routers = [router for result in await self.call_one(plugin, 'register_routes')
                          for router in _as_list(result)]
        plugin.pages = {path: builder for result in await self.call_one(plugin, 'register_pages')
                        if isinstance(result, dict) for path, builder in result.items()}

    async def _create_tables(self, plugin: LoadedPlugin, models: list[Any]) -> None:
        prefix = f'plg_{plugin.id}_'
        wrong = [str(getattr(model, '__tablename__', model)) for model in models
                 if not str(getattr(model, '__tablename__', '')).startswith(prefix)]
        if wrong:
            plugin.load_error = (f'Its tables must be named {prefix}…; refused: {", ".join(wrong)}.')
            await self._record(plugin, 'register_tables', plugin.load_error, '')
            return
        tables = [model.__table__ for model in models]

        def create(connection: Any) -> None:
            for table in tables:
                table.create(connection, checkfirst=True)

        try:
            async with self.db.engine.begin() as connection:
                await connection.run_sync(create)
        except Exception as error:  # a bad table definition stops this plugin, not the app
            plugin.load_error = f'Its tables could not be created: {type(error).__name__}: {error}'
            await self._record(plugin, 'register_tables', plugin.load_error, traceback.format_exc())

    async def _ensure_install_row(self, plugin: LoadedPlugin) -> None:
        if await self.state.install_row(plugin.id) is None:
            from ..db.models import PluginInstall

            await self.state.save_install(PluginInstall(plugin_id=plugin.id, version=plugin.version,
                                                        source=INSTALL_SOURCES.get(plugin.source, 'environment'),
                                                        enabled=plugin.enabled))

    def _user_settings_reader(self, plugin: LoadedPlugin) -> Callable[[User], Any] | None:
        async def read(user: User) -> Any:
            if plugin.user_settings_model is None:
                return None
            return (await self.config.read(plugin.id, 'user', plugin.user_settings_model, user.id)).values
        return read

    def _require_services(self) -> Services:
        if self._services is None:
            raise RuntimeError('The plugin manager has no services attached.')
        return self._services


def _value_arg(hook: str) -> str:
    """The argument a transform hook passes along (`messages`, `text`): the first after `ctx`."""
    return list(inspect.signature(getattr(hookspecs, hook)).parameters)[1]


def _same_kind(value: Any, result: Any) -> bool:
    for kind in (str, list, dict):
        if isinstance(value, kind):
            return isinstance(result, kind)
    return True


def _as_list(result: Any) -> list[Any]:
    return list(result) if isinstance(result, list | tuple) else [result]


def _model_named(module: ModuleType, name: str) -> type[BaseModel] | None:
    value = getattr(module, name, None)
    return value if isinstance(value, type) and issubclass(value, BaseModel) else None


def _placeholder_manifest(plugin_id: str) -> PluginManifest:
    """Stands in for a manifest that could not be read, so the plugins page can still list the failure."""
    safe_id = plugin_id if re.match(PLUGIN_ID_PATTERN, plugin_id) else 'unknown_plugin'
    return PluginManifest(id=safe_id, name=plugin_id, version='0')


def _explicit_candidate(module: ModuleType | str) -> Candidate:
    name = module if isinstance(module, str) else module.__name__
    package = name.split('.')[0]
    resource = importlib.resources.files(package) / MANIFEST_NAME
    manifest = parse_manifest(resource.read_bytes(), f'{package}/{MANIFEST_NAME}')
    return Candidate(manifest.id, name, SOURCE_EXPLICIT, manifest)


def _dependency_order(candidates: list[Candidate]) -> list[Candidate]:
    """Dependencies before their dependants, otherwise by id; cycles fall back to id order (and fail to load)."""
    by_id = {candidate.plugin_id: candidate for candidate in candidates}
    ordered: list[Candidate] = []
    visiting: set[str] = set()

    def visit(plugin_id: str) -> None:
        candidate = by_id.get(plugin_id)
        if candidate is None or candidate in ordered or plugin_id in visiting:
            return
        visiting.add(plugin_id)
        for dependency in (candidate.manifest.depends_on if candidate.manifest else {}):
            visit(dependency)
        ordered.append(candidate)

    for plugin_id in sorted(by_id):
        visit(plugin_id)
    return ordered

