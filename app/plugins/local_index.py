"""Builds plugin source folders into an index folder (one wheel per plugin plus `index.json`), so installing works
without any network: the first-party plugins of the project's `plugins/` folder become the *local index* in
`<data_dir>/plugins/local-index/` at every start, and `tavern plugin build-index DIR --out OUT` does the same for any
folder, for example to publish an index on a web server.

Building is additive: versions already in the folder's `index.json` whose wheels are still there stay listed (so an
index collects releases over time, and a plugin built into the local index by hand survives the next start), its
revocations are kept, and a rebuilt version replaces the old entry of that version.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from ..config import Settings
from .errors import PluginRefusedError
from .index import INDEX_FILE_NAME, IndexPlugin, IndexVersion, PluginIndex
from .wheel_builder import BuiltWheel, build_wheel, plugin_source_folders

PROJECT_PLUGINS_DIR = Path(__file__).resolve().parents[2] / 'plugins'
LOCAL_INDEX_FOLDER = 'local-index'

log = logging.getLogger(__name__)


@dataclass
class IndexBuild:
    """What one build wrote: the index file, the wheels built, and the folders that could not be built (why)."""

    index_path: Path
    wheels: list[BuiltWheel] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def local_index_dir(settings: Settings) -> Path:
    return settings.plugins_dir / LOCAL_INDEX_FOLDER


def build_local_index(settings: Settings, plugins_root: Path = PROJECT_PLUGINS_DIR) -> IndexBuild:
    """Build the project's first-party plugins into the local index; a plugin that fails to build is logged and left
    out, it never stops the server."""
    build = build_index(plugins_root, local_index_dir(settings))
    for folder, problem in build.failures.items():
        log.warning('First-party plugin %s was left out of the local index: %s', folder, problem)
    return build


def build_index(source: Path, out_dir: Path) -> IndexBuild:
    """Build `source` (one plugin source folder, or a folder of them) into `out_dir` and write its `index.json`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    index_path = out_dir / INDEX_FILE_NAME
    previous = _read_existing(index_path)
    build = IndexBuild(index_path)
    for folder in plugin_source_folders(source):
        try:
            build.wheels.append(build_wheel(folder))
        except PluginRefusedError as error:
            build.failures[folder.name] = error.message
    plugins = {plugin.id: _kept_versions(plugin, out_dir) for plugin in previous.plugins}
    for wheel in build.wheels:
        _write_if_changed(out_dir / wheel.filename, wheel.data)
        plugins[wheel.manifest.id] = _listing(wheel, plugins.get(wheel.manifest.id))
    index = PluginIndex(generated_at=_now().isoformat(), revoked=previous.revoked,
                        plugins=[_sorted(plugin) for _, plugin in sorted(plugins.items()) if plugin.versions])
    index_path.write_text(json.dumps(index.model_dump(mode='json', exclude={'plugins': {'__all__': {
        'versions': {'__all__': {'index_url'}}}}}), ensure_ascii=False, indent=2) + '\n', encoding='utf-8')
    _remove_unlisted_wheels(out_dir, index)
    return build


def _listing(wheel: BuiltWheel, known: IndexPlugin | None) -> IndexPlugin:
    """The plugin's index entry with the freshly built version in place of any older entry of the same version."""
    manifest = wheel.manifest
    same = known.find(manifest.version) if known else None
    unchanged = same is not None and same.sha256 == wheel.sha256
    entry = IndexVersion(version=manifest.version, requires_app=manifest.requires_app,
                         requires_python=manifest.requires_python, depends_on=dict(manifest.depends_on),
                         wheel_url=wheel.filename, sha256=wheel.sha256, size=wheel.size,
                         permissions=[str(permission) for permission in manifest.permissions],
                         released_at=same.released_at if unchanged and same else _now(),
                         yanked=same.yanked if same else False)
    others = [version for version in (known.versions if known else []) if version.parsed != entry.parsed]
    return IndexPlugin(id=manifest.id, name=manifest.name, description=manifest.description, author=manifest.author,
                       homepage=manifest.homepage, license=manifest.license, tags=list(manifest.tags),
                       versions=[entry, *others])


def _read_existing(index_path: Path) -> PluginIndex:
    if not index_path.is_file():
        return PluginIndex()
    try:
        return PluginIndex.model_validate_json(index_path.read_bytes())
    except ValidationError:
        log.warning('%s was not a valid plugin index; it is written anew', index_path)
        return PluginIndex()


def _kept_versions(plugin: IndexPlugin, out_dir: Path) -> IndexPlugin:
    """The plugin's listed versions whose wheels still exist (wheels hosted elsewhere are kept as listed)."""
    kept = [entry for entry in plugin.versions
            if urlsplit(entry.wheel_url).scheme or (out_dir / entry.wheel_url).is_file()]
    return plugin.model_copy(update={'versions': kept})


def _sorted(plugin: IndexPlugin) -> IndexPlugin:
    return plugin.model_copy(update={'versions': plugin.newest_first()})


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def _remove_unlisted_wheels(out_dir: Path, index: PluginIndex) -> None:
    listed = {entry.wheel_url for plugin in index.plugins for entry in plugin.versions}
    for path in out_dir.glob('*.whl'):
        if path.name not in listed:
            path.unlink()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
