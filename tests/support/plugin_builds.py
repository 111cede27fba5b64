"""Test plugins made the way an author makes them: from the scaffold (`tavern plugin new`), with a changed manifest
where a test needs one, built into a real index folder by the real index builder.

Tests give each plugin a unique id (`tests.support.plugin_wheels.unique_id`): Python keeps imported modules for the
whole test run, and the installer refuses a module name that is already importable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.plugins.local_index import build_index
from app.plugins.scaffold import create_plugin

INDEX = 'index.json'


def plugin_source(parent: Path, plugin_id: str, version: str = '1.0.0', **manifest: Any) -> Path:
    """A scaffolded plugin `plugin_id` at `version` in its own folder under `parent`, manifest fields overridden."""
    root = create_plugin(plugin_id, parent / '.scaffold').rename(parent / f'{plugin_id}-{version}')
    manifest_path = root / plugin_id / 'plugin.json'
    data = json.loads(manifest_path.read_text(encoding='utf-8'))
    data.update(version=version, **manifest)
    manifest_path.write_text(json.dumps(data, indent=2), encoding='utf-8')
    pyproject = root / 'pyproject.toml'
    pyproject.write_text(pyproject.read_text(encoding='utf-8').replace('version = "0.1.0"', f'version = "{version}"'),
                         encoding='utf-8')
    return root


def build_into(index_dir: Path, *sources: Path) -> Path:
    """Build each plugin source into `index_dir` (adding to what is there); returns the index.json path."""
    for source in sources:
        build = build_index(source, index_dir)
        assert not build.failures, build.failures
    return index_dir / INDEX


def edit_index(index_path: Path, change: Callable[[dict], None]) -> None:
    """Change the index document in place (yank, revoke, point elsewhere), as an index maintainer would."""
    document = json.loads(index_path.read_text(encoding='utf-8'))
    change(document)
    index_path.write_text(json.dumps(document, indent=2), encoding='utf-8')


def listed_version(document: dict, plugin_id: str, version: str) -> dict:
    (plugin,) = [entry for entry in document['plugins'] if entry['id'] == plugin_id]
    (listed,) = [entry for entry in plugin['versions'] if entry['version'] == version]
    return listed


@contextmanager
def isolated_imports() -> Iterator[None]:
    """Undo what installing plugins does to the interpreter: the site dirs added to `sys.path` and the modules
    imported from them."""
    path = list(sys.path)
    try:
        yield
    finally:
        added = [Path(entry).resolve() for entry in sys.path if entry not in path]
        sys.path[:] = path
        for name, module in list(sys.modules.items()):
            file = getattr(module, '__file__', None)
            if file and any(Path(file).resolve().is_relative_to(folder) for folder in added):
                del sys.modules[name]
