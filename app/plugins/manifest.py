"""The plugin manifest (`plugin.json` inside a plugin's import package) and the ways to read it without importing
the plugin: from an installed distribution, from a wheel's bytes, or from a local folder.

It says who the plugin is, what it needs (app and Python versions, other plugins) and what it asks for
(permissions, shown for consent), so all of that can be checked and shown before any plugin code runs.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from importlib.metadata import Distribution
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import refused

MANIFEST_NAME = 'plugin.json'
PLUGIN_ID_PATTERN = r'^[a-z][a-z0-9_]{2,63}$'
MAX_MANIFEST_BYTES = 256 * 1024


class Permission(StrEnum):
    """What a plugin says it does; shown to the admin for consent (in-process plugins are fully trusted)."""

    NETWORK = 'network'
    FILESYSTEM = 'filesystem'
    LLM_CALL = 'llm.call'
    DB_OWN_TABLES = 'db.own_tables'
    CHAT_READ = 'chat.read'
    CHAT_WRITE = 'chat.write'
    CHARACTERS_READ = 'characters.read'
    CHARACTERS_WRITE = 'characters.write'
    USERS_READ = 'users.read'
    ADMIN_UI = 'admin.ui'


class Contributions(BaseModel):
    """What the plugin adds, declared up front so the UI can describe it before loading it."""

    model_config = ConfigDict(extra='ignore', frozen=True)

    slots: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    pages: list[str] = Field(default_factory=list)
    routes: bool = False
    settings: bool = False
    user_settings: bool = False


class PluginManifest(BaseModel):
    model_config = ConfigDict(extra='ignore', frozen=True)

    id: str = Field(pattern=PLUGIN_ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    version: str
    description: str = Field(default='', max_length=2000)
    author: str = Field(default='', max_length=200)
    homepage: str = Field(default='', max_length=500)
    license: str = Field(default='', max_length=100)
    requires_app: str = ''
    requires_python: str = ''
    depends_on: dict[str, str] = Field(default_factory=dict)
    permissions: list[Permission] = Field(default_factory=list)
    user_toggleable: bool = False
    tags: list[str] = Field(default_factory=list)
    contributes: Contributions = Field(default_factory=Contributions)
    entry_point: str = ''

    @field_validator('version')
    @classmethod
    def _check_version(cls, value: str) -> str:
        try:
            Version(value)
        except InvalidVersion:
            raise ValueError(f'"{value}" is not a version number like 1.0.0') from None
        return value

    @field_validator('requires_app', 'requires_python')
    @classmethod
    def _check_specifier(cls, value: str) -> str:
        _specifier(value)
        return value

    @field_validator('depends_on')
    @classmethod
    def _check_dependencies(cls, value: dict[str, str]) -> dict[str, str]:
        for plugin_id, specifier in value.items():
            if not re.match(PLUGIN_ID_PATTERN, plugin_id):
                raise ValueError(f'"{plugin_id}" is not a plugin id')
            _specifier(specifier)
        return value

    @property
    def module(self) -> str:
        """The module to import: the declared entry point, or the package named like the id."""
        return self.entry_point or self.id

    def accepts_app(self, app_version: str) -> bool:
        return _accepts(self.requires_app, app_version)

    def accepts_python(self, python_version: str) -> bool:
        return _accepts(self.requires_python, python_version)


def specifier_accepts(specifier: str, version: str) -> bool:
    """Whether `version` satisfies `specifier` (an empty specifier accepts everything; pre-releases count)."""
    return _accepts(specifier, version)


def parse_manifest(raw: bytes | str, where: str) -> PluginManifest:
    """Validate manifest text; `where` names the file in the refusal message."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise refused('invalid_manifest', f'The plugin manifest {where} is too large.', where=where, problem='size')
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise refused('invalid_manifest', f'The plugin manifest {where} is not valid JSON: {error}.', where=where,
                      problem=str(error)) from None
    if not isinstance(data, dict):
        raise refused('invalid_manifest', f'The plugin manifest {where} must be a JSON object.', where=where,
                      problem='not an object')
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = '.'.join(str(part) for part in first['loc']) or 'manifest'
        problem = f'{field}: {first["msg"]}'
        raise refused('invalid_manifest', f'The plugin manifest {where} is invalid ({problem}).', where=where,
                      problem=problem) from None


def manifest_from_distribution(distribution: Distribution) -> PluginManifest | None:
    """The manifest inside an installed distribution (the first `<package>/plugin.json`), or None."""
    for file in distribution.files or ():
        parts = file.parts
        if len(parts) == 2 and parts[1] == MANIFEST_NAME:
            text = file.read_text(encoding='utf-8')
            return parse_manifest(text, f'{parts[0]}/{MANIFEST_NAME}')
    return None


def manifest_from_folder(folder: Path) -> PluginManifest:
    """The manifest of a local folder plugin (`<folder>/plugin.json`)."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise refused('no_manifest', f'The folder {folder.name} has no {MANIFEST_NAME}.', where=folder.name)
    return parse_manifest(path.read_bytes(), f'{folder.name}/{MANIFEST_NAME}')


def manifest_names(names: list[str]) -> list[str]:
    """Archive entries that can be a plugin manifest: `<package>/plugin.json` at the top of a wheel."""
    return [name for name in names if name.count('/') == 1 and name.endswith('/' + MANIFEST_NAME)]


def _specifier(value: str) -> SpecifierSet:
    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        raise ValueError(f'"{value}" is not a version specifier like >=1.0') from None


def _accepts(specifier: str, version: str) -> bool:
    return SpecifierSet(specifier).contains(version, prereleases=True) if specifier else True


