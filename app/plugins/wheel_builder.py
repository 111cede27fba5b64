"""Builds a pure-Python wheel from a plugin's source folder: no pip, setuptools or network, and the same input always
gives the same bytes (so the same sha256, which the index pins).

A plugin source folder holds a `pyproject.toml` and one import package with `plugin.json` inside (the layout the
scaffold writes); a bare import package with `plugin.json` at its top works too. The wheel gets that package plus
`METADATA`, `WHEEL`, `entry_points.txt` (group `tavernai_plus.plugins`, `<id> = <module>`) and `RECORD`. Entries are
sorted and carry a fixed timestamp and mode, so the archive does not depend on when or where it was built.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from .errors import refused
from .hookspecs import ENTRY_POINT_GROUP
from .manifest import MANIFEST_NAME, PluginManifest, parse_manifest

WHEEL_TAG = 'py3-none-any'
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
COMPRESS_LEVEL = 9
SKIPPED_DIRS = frozenset({'__pycache__', '.git', '.mypy_cache', '.pytest_cache', '.ruff_cache'})
SKIPPED_SUFFIXES = ('.pyc', '.pyo')
COMPILED_SUFFIXES = ('.so', '.pyd', '.dll', '.dylib', '.c', '.cpp', '.pyx')
README_NAMES = ('README.md', 'README.rst', 'README.txt', 'README')


@dataclass(frozen=True)
class PluginSource:
    """A plugin's source folder, read but not imported."""

    root: Path
    package_dir: Path
    manifest: PluginManifest
    project: dict = field(default_factory=dict)

    @property
    def distribution_name(self) -> str:
        return str(self.project.get('name') or self.manifest.id)


@dataclass(frozen=True)
class BuiltWheel:
    filename: str
    data: bytes
    manifest: PluginManifest

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


def is_plugin_source(folder: Path) -> bool:
    """Whether `folder` is a plugin source: `plugin.json` at its top, or in one package beside a `pyproject.toml`."""
    return (folder / MANIFEST_NAME).is_file() or bool(_packaged_manifests(folder))


def plugin_source_folders(root: Path) -> list[Path]:
    """`root` itself when it is a plugin source, else every plugin source among its subfolders, sorted by name."""
    if is_plugin_source(root):
        return [root]
    if not root.is_dir():
        return []
    return [folder for folder in sorted(root.iterdir())
            if folder.is_dir() and folder.name not in SKIPPED_DIRS and is_plugin_source(folder)]


def read_plugin_source(folder: Path) -> PluginSource:
    """Read a plugin source folder's manifest and `pyproject.toml` and check that they agree."""
    folder = folder.resolve()
    if (folder / MANIFEST_NAME).is_file():
        package_dir = folder
    else:
        manifests = _packaged_manifests(folder)
        if len(manifests) != 1:
            raise refused('build_no_package', f'The folder {folder.name} must hold exactly one package with a '
                          f'{MANIFEST_NAME} (found {len(manifests)}).', where=folder.name, count=len(manifests))
        package_dir = manifests[0].parent
    manifest = parse_manifest((package_dir / MANIFEST_NAME).read_bytes(), f'{package_dir.name}/{MANIFEST_NAME}')
    project = _read_project(folder)
    source = PluginSource(folder, package_dir, manifest, project)
    _check_agreement(source)
    return source


def build_wheel(source: PluginSource | Path) -> BuiltWheel:
    """The wheel of a plugin source folder, as bytes; nothing is written to disk."""
    if isinstance(source, Path):
        source = read_plugin_source(source)
    dist_info = f'{_escaped(source.distribution_name)}-{_escaped_version(source.manifest.version)}.dist-info'
    entries = [(f'{source.package_dir.name}/{path}', data) for path, data in _package_files(source.package_dir)]
    entries += [(f'{dist_info}/METADATA', _metadata(source)), (f'{dist_info}/WHEEL', _wheel_file()),
                (f'{dist_info}/entry_points.txt', _entry_points(source))]
    record = _record(entries, f'{dist_info}/RECORD')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, data in [*entries, (f'{dist_info}/RECORD', record)]:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.external_attr = FILE_MODE
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    filename = f'{_escaped(source.distribution_name)}-{_escaped_version(source.manifest.version)}-{WHEEL_TAG}.whl'
    return BuiltWheel(filename, buffer.getvalue(), source.manifest)


def _packaged_manifests(folder: Path) -> list[Path]:
    if not (folder / 'pyproject.toml').is_file():
        return []
    return sorted(path for path in folder.glob(f'*/{MANIFEST_NAME}') if (path.parent / '__init__.py').is_file())


def _read_project(folder: Path) -> dict:
    path = folder / 'pyproject.toml'
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding='utf-8')).get('project', {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise refused('build_bad_pyproject', f'The pyproject.toml of {folder.name} cannot be read: {error}.',
                      where=folder.name, problem=str(error)) from None


def _check_agreement(source: PluginSource) -> None:
    manifest, project = source.manifest, source.project
    if not (source.package_dir / '__init__.py').is_file():
        raise refused('build_no_package', f'The folder {source.package_dir.name} is not a Python package (it has no '
                      '__init__.py).', where=source.package_dir.name, count=0)
    version = project.get('version')
    if version is not None and Version(str(version)) != Version(manifest.version):
        raise refused('build_version_mismatch', f'pyproject.toml says version {version} but {MANIFEST_NAME} says '
                      f'{manifest.version}; make them the same.', project_version=str(version),
                      manifest_version=manifest.version)
    declared = project.get('entry-points', {}).get(ENTRY_POINT_GROUP, {})
    if declared and set(declared) != {manifest.id}:
        raise refused('build_entry_point_mismatch', f'pyproject.toml must declare exactly one "{ENTRY_POINT_GROUP}" '
                      f'entry point, named "{manifest.id}" like the plugin id.', plugin_id=manifest.id)


def _package_files(package_dir: Path) -> list[tuple[str, bytes]]:
    files = []
    for path in sorted(package_dir.rglob('*')):
        relative = path.relative_to(package_dir)
        if any(part in SKIPPED_DIRS or part.startswith('.') for part in relative.parts) or not path.is_file():
            continue
        if path.name.endswith(SKIPPED_SUFFIXES):
            continue
        if path.name.endswith(COMPILED_SUFFIXES):
            raise refused('build_not_pure', f'The plugin contains {relative.as_posix()}; only pure-Python plugins '
                          'can be packaged.', path=relative.as_posix())
        files.append((relative.as_posix(), path.read_bytes()))
    return files


def _metadata(source: PluginSource) -> bytes:
    manifest, project = source.manifest, source.project
    lines = ['Metadata-Version: 2.1', f'Name: {source.distribution_name}', f'Version: {manifest.version}']
    optional = [('Summary', manifest.description or project.get('description', '')),
                ('Home-page', manifest.homepage), ('Author', manifest.author), ('License', manifest.license),
                ('Keywords', ','.join(manifest.tags)),
                ('Requires-Python', manifest.requires_python or project.get('requires-python', ''))]
    lines += [f'{key}: {_one_line(value)}' for key, value in optional if value]
    lines += [f'Requires-Dist: {requirement}' for requirement in project.get('dependencies', [])]
    readme = _readme(source.root)
    if readme:
        lines += ['Description-Content-Type: text/markdown', '', readme]
    return ('\n'.join(lines) + '\n').encode('utf-8')


def _readme(root: Path) -> str:
    for name in README_NAMES:
        path = root / name
        if path.is_file():
            return path.read_text(encoding='utf-8').strip()
    return ''


def _wheel_file() -> bytes:
    return ('Wheel-Version: 1.0\nGenerator: tavernai-plus wheel_builder\nRoot-Is-Purelib: true\n'
            f'Tag: {WHEEL_TAG}\n').encode()


def _entry_points(source: PluginSource) -> bytes:
    groups = {group: dict(points) for group, points in source.project.get('entry-points', {}).items()}
    groups[ENTRY_POINT_GROUP] = {source.manifest.id: source.manifest.module}
    scripts = source.project.get('scripts', {})
    if scripts:
        groups['console_scripts'] = dict(scripts)
    sections = [f'[{group}]\n' + ''.join(f'{name} = {value}\n' for name, value in sorted(points.items()))
                for group, points in sorted(groups.items())]
    return '\n'.join(sections).encode('utf-8')


def _record(entries: list[tuple[str, bytes]], record_name: str) -> bytes:
    lines = [f'{name},sha256={_urlsafe_digest(data)},{len(data)}' for name, data in entries]
    return ('\n'.join([*lines, f'{record_name},,']) + '\n').encode('utf-8')


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode('ascii')


def _escaped(name: str) -> str:
    return re.sub(r'[-_.]+', '_', name).lower()


def _escaped_version(version: str) -> str:
    return str(Version(version)).replace('-', '_')


def _one_line(value: str) -> str:
    return ' '.join(str(value).split())
