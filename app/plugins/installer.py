"""Installs a plugin wheel into `<data_dir>/plugins/site/` and loads it at once; uninstalls it again.

Every check runs before a file is written: the sha256 the index promised, the wheel itself (`wheel.read_wheel`:
zip limits, pure Python, RECORD hashes, manifest, entry point), the app and Python versions the manifest asks
for, the plugins it depends on, and that its modules do not collide with anything already importable. The app's
own environment is never touched (no pip). Files are unpacked into a staging folder first and moved into place,
so a failed install leaves nothing behind.

Python cannot unload modules: after an uninstall or an upgrade the old code stays imported until the server
restarts, so the plugin is marked `restart_required`; an uninstalled plugin's hooks, routes and pages stop at once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from ..db.models import PluginInstall
from ..db.types import utcnow
from .discovery import SOURCE_SITE, add_import_path, site_candidate, site_dir
from .errors import PluginStateError, refused
from .hookspecs import ENTRY_POINT_GROUP
from .wheel import WheelContents, read_wheel

if TYPE_CHECKING:
    from ..db.models import User
    from .manager import LoadedPlugin, PluginManager

INSTALL_SOURCES = frozenset({'index', 'upload', 'url', 'local'})


class PluginInstaller:
    def __init__(self, manager: PluginManager) -> None:
        self.manager = manager
        self.site = site_dir(manager.settings)

    async def install(self, data: bytes, *, source: str, expected_sha256: str | None = None,
                      index_url: str | None = None, consent: list[str] | None = None,
                      actor: User | None = None) -> LoadedPlugin:
        if source not in INSTALL_SOURCES:
            raise ValueError(f'unknown install source {source!r}')
        digest = hashlib.sha256(data).hexdigest()
        if expected_sha256 and expected_sha256.lower() != digest:
            raise refused('tampered', 'The downloaded wheel does not match the sha256 the index lists; it may have '
                          'been tampered with and was not installed.', expected=expected_sha256, actual=digest)
        wheel = read_wheel(data)
        previous = self._previous(wheel)
        self._check_requirements(wheel)
        self._check_module_names(wheel, previous)
        add_import_path(self.site)
        self._unpack(wheel, previous)
        row = PluginInstall(plugin_id=wheel.manifest.id, version=wheel.manifest.version, sha256=digest,
                            source=source, index_url=index_url or '', installed_at=utcnow(), enabled=True,
                            consent={'permissions': sorted(consent if consent is not None else
                                                           [str(item) for item in wheel.manifest.permissions]),
                                     'by': actor.id if actor else None, 'at': utcnow().isoformat()})
        await self.manager.state.save_install(row)
        candidate = site_candidate(self.manager.settings, wheel.manifest.id)
        if candidate is None:
            await self._roll_back(wheel)
            raise refused('no_entry_point', f'{wheel.manifest.name} was unpacked but its entry point could not be '
                          'found, so it was removed again.', plugin=wheel.manifest.id, group=ENTRY_POINT_GROUP)
        plugin = await self.manager.load_candidate(candidate, from_version=previous.version if previous else None,
                                                   installing=True)
        if plugin.load_error is not None:
            message = plugin.load_error
            await self._roll_back(wheel)
            self.manager.forget_failed(plugin)
            raise refused('load_failed', f'{wheel.manifest.name} could not be loaded and was not installed: '
                          f'{message}', plugin=wheel.manifest.name, problem=message)
        return plugin

    async def uninstall(self, plugin_id: str) -> None:
        plugin = self.manager.get(plugin_id)
        if plugin.removed:
            raise PluginStateError('error.plugins.already_removed', f'{plugin.manifest.name} is already uninstalled; '
                                   'restart the server to finish.', plugin=plugin.manifest.name)
        if plugin.source != SOURCE_SITE:
            raise PluginStateError('error.plugins.not_removable',
                                   f'{plugin.manifest.name} is installed in the server\'s own environment or data '
                                   'folder, not from a wheel; remove it there.', plugin=plugin.manifest.name)
        if plugin.active:
            await self.manager.call_one(plugin, 'on_uninstall')
        self._remove_files(plugin_id)
        await self.manager.state.forget(plugin_id)
        self.manager.forget_module(plugin)

    def _previous(self, wheel: WheelContents) -> LoadedPlugin | None:
        manifest = wheel.manifest
        previous = self.manager.find(manifest.id)
        if previous is None or previous.removed:
            return None
        if previous.source != SOURCE_SITE:
            raise PluginStateError('error.plugins.not_removable',
                                   f'{previous.manifest.name} is installed in the server\'s own environment or data '
                                   'folder and cannot be replaced from a wheel.', plugin=previous.manifest.name)
        if previous.version == manifest.version and previous.load_error is None:
            raise PluginStateError('error.plugins.already_installed',
                                   f'{manifest.name} {manifest.version} is already installed.', plugin=manifest.name,
                                   version=manifest.version)
        return previous

    def _check_requirements(self, wheel: WheelContents) -> None:
        """App version, Python version and dependency plugins, with the same checks (and codes) as loading."""
        self.manager.check_requirements(wheel.manifest)

    def _check_module_names(self, wheel: WheelContents, previous: LoadedPlugin | None) -> None:
        """Refuse a wheel whose packages would shadow, or be shadowed by, modules that are already importable."""
        own = self._owned_names(wheel.manifest.id) if previous else set()
        known = self.manager.find(wheel.manifest.id)
        if known is not None:
            own.add(known.module_name.split('.')[0])
        for name in sorted(wheel.top_level):
            if name in own:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is not None:
                raise refused('module_clash', f'The wheel\'s module "{name}" has the same name as a module that is '
                              'already installed, so it was refused.', module=name)

    def _owned_names(self, plugin_id: str) -> set[str]:
        distribution = self._distribution(plugin_id)
        if distribution is None:
            return set()
        return {file.parts[0].removesuffix('.py') for file in distribution.files or ()
                if not file.parts[0].endswith('.dist-info')}

    def _unpack(self, wheel: WheelContents, previous: LoadedPlugin | None) -> None:
        staging = self.site / f'.staging-{uuid.uuid4().hex}'
        try:
            for name, content in wheel.files.items():
                target = staging.joinpath(*name.split('/'))
                if not target.resolve().is_relative_to(staging.resolve()):
                    raise refused('invalid_path', f'The wheel contains an unsafe path ("{name}").', path=name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            if previous is not None:
                self._remove_files(previous.id)
            for item in staging.iterdir():
                destination = self.site / item.name
                if destination.exists():
                    shutil.rmtree(destination) if destination.is_dir() else destination.unlink()
                item.rename(destination)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        importlib.invalidate_caches()

    async def _roll_back(self, wheel: WheelContents) -> None:
        self._remove_files(wheel.manifest.id)
        await self.manager.state.forget(wheel.manifest.id)

    def _remove_files(self, plugin_id: str) -> None:
        """Delete every file the plugin's distribution lists in its RECORD, then the folders left empty."""
        distribution = self._distribution(plugin_id)
        if distribution is None:
            return
        site = self.site.resolve()
        folders: set[Path] = set()
        for file in distribution.files or ():
            path = Path(str(distribution.locate_file(file))).resolve()
            if path.is_relative_to(site) and path != site:
                path.unlink(missing_ok=True)
                folders.update(parent for parent in path.parents if parent.is_relative_to(site) and parent != site)
        for folder in sorted(folders, key=lambda item: len(item.parts), reverse=True):
            if folder.is_dir():
                shutil.rmtree(folder / '__pycache__', ignore_errors=True)
                if not any(folder.iterdir()):
                    folder.rmdir()
        importlib.invalidate_caches()

    def _distribution(self, plugin_id: str) -> importlib.metadata.Distribution | None:
        for distribution in importlib.metadata.distributions(path=[str(self.site)]):
            if any(entry.name == plugin_id for entry in distribution.entry_points.select(group=ENTRY_POINT_GROUP)):
                return distribution
        return None

