"""Finds plugins without importing them: entry points in the `tavernai_plus.plugins` group (from the plugin site
dir, where the app installs wheels, and from the app's own environment) and, when `TAVERN_LOCAL_PLUGINS=true`,
package folders under `<data_dir>/plugins/local/`.

Each candidate carries its manifest, read from the distribution's files or the folder, so the host can check
compatibility and dependencies before any plugin code runs.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .errors import PluginRefusedError
from .hookspecs import ENTRY_POINT_GROUP
from .manifest import PluginManifest, manifest_from_distribution, manifest_from_folder

SOURCE_ENVIRONMENT = 'environment'
SOURCE_LOCAL = 'local'
SOURCE_SITE = 'site'
_added_paths: set[str] = set()
"""Folders `add_import_path` put on sys.path: plugin folders, never scanned as the app's environment."""


@dataclass(frozen=True)
class Candidate:
    """A plugin found on disk: its manifest (or why it could not be read) and the module to import."""

    plugin_id: str
    module_name: str
    source: str
    manifest: PluginManifest | None
    problem: str | None = None


def site_dir(settings: Settings) -> Path:
    return settings.plugins_dir / 'site'


def local_dir(settings: Settings) -> Path:
    return settings.plugins_dir / 'local'


def add_import_path(path: Path) -> None:
    """Make modules under `path` importable (once); appended, so a plugin can never shadow the app's modules."""
    path.mkdir(parents=True, exist_ok=True)
    if str(path) not in sys.path:
        sys.path.append(str(path))
        _added_paths.add(str(path))
    importlib.invalidate_caches()


def discover(settings: Settings) -> list[Candidate]:
    """Every plugin visible to this instance, site dir first (an installed wheel wins over the environment)."""
    if settings.plugins_disabled:
        return []
    found: dict[str, Candidate] = {}
    site = site_dir(settings)
    add_import_path(site)
    for candidate in [*_entry_point_candidates(site, SOURCE_SITE), *_entry_point_candidates(site, SOURCE_ENVIRONMENT)]:
        found.setdefault(candidate.plugin_id, candidate)
    if settings.local_plugins:
        for candidate in _folder_candidates(local_dir(settings)):
            found.setdefault(candidate.plugin_id, candidate)
    return list(found.values())


def site_candidate(settings: Settings, plugin_id: str) -> Candidate | None:
    """The freshly unpacked plugin `plugin_id` in the site dir (used right after an install)."""
    for candidate in _entry_point_candidates(site_dir(settings), SOURCE_SITE):
        if candidate.plugin_id == plugin_id:
            return candidate
    return None


def _entry_point_candidates(site: Path, source: str) -> list[Candidate]:
    """Entry points of the distributions in `site` (source 'site') or on the app's own `sys.path` ('environment',
    without the plugin folders this process added)."""
    if source == SOURCE_SITE:
        distributions = list(importlib.metadata.distributions(path=[str(site)]))
    else:
        environment = [entry for entry in sys.path if entry not in _added_paths]
        distributions = list(importlib.metadata.distributions(path=environment))
    candidates: list[Candidate] = []
    for distribution in distributions:
        for entry_point in distribution.entry_points.select(group=ENTRY_POINT_GROUP):
            candidates.append(_from_distribution(distribution, entry_point.name, entry_point.value, source))
    return candidates


def _from_distribution(distribution: importlib.metadata.Distribution, name: str, module_name: str,
                       source: str) -> Candidate:
    module_name = module_name.split(':')[0].strip()
    try:
        manifest = manifest_from_distribution(distribution)
    except PluginRefusedError as error:
        return Candidate(name, module_name, source, None, error.message)
    if manifest is None:
        return Candidate(name, module_name, source, None, f'The distribution {distribution.name} has no plugin.json.')
    if manifest.id != name:
        return Candidate(name, module_name, source, None,
                         f'The entry point is named "{name}" but the manifest id is "{manifest.id}".')
    return Candidate(manifest.id, module_name, source, manifest)


def _folder_candidates(folder: Path) -> list[Candidate]:
    add_import_path(folder)
    candidates: list[Candidate] = []
    for child in sorted(folder.iterdir()):
        if not (child.is_dir() and (child / '__init__.py').is_file()):
            continue
        try:
            manifest = manifest_from_folder(child)
        except PluginRefusedError as error:
            candidates.append(Candidate(child.name, child.name, SOURCE_LOCAL, None, error.message))
            continue
        module = manifest.entry_point or child.name
        candidates.append(Candidate(manifest.id, module, SOURCE_LOCAL, manifest))
    return candidates
