"""Reads a plugin wheel from its bytes, defensively and without running any of it.

The archive is opened with the card importer's `SafeZip` (entry count, inflated size, ratio and path checks), its
`.dist-info` is parsed (name, version, WHEEL tags, entry points, RECORD hashes), and it is refused unless it is a
pure-Python `py3-none-any` wheel whose files match its RECORD and which carries exactly one `plugin.json`
registered under the `tavernai_plus.plugins` entry point.
"""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
from dataclasses import dataclass
from email.parser import HeaderParser

from ..services.card_formats.limits import MEGABYTE, CardFileLimits
from ..services.card_formats.safe_zip import SafeZip, is_zip
from .errors import refused
from .hookspecs import ENTRY_POINT_GROUP
from .manifest import PluginManifest, manifest_names, parse_manifest

WHEEL_LIMITS = CardFileLimits(max_file_bytes=20 * MEGABYTE, max_zip_entries=2000,
                              max_unpacked_bytes=100 * MEGABYTE, max_ratio=100, ratio_floor_bytes=MEGABYTE)
MAX_WHEEL_BYTES = 50 * MEGABYTE
COMPILED_SUFFIXES = ('.so', '.pyd', '.dll', '.dylib', '.exe', '.a', '.lib', '.o')


@dataclass(frozen=True)
class WheelContents:
    """A checked wheel: its manifest, distribution name and version, and every file to unpack."""

    manifest: PluginManifest
    distribution: str
    version: str
    files: dict[str, bytes]

    @property
    def top_level(self) -> set[str]:
        """Import names the wheel adds (packages and single modules), without its `.dist-info`."""
        names = set()
        for name in self.files:
            first = name.split('/')[0]
            if not first.endswith('.dist-info'):
                names.add(first.removesuffix('.py'))
        return names


def read_wheel_manifest(data: bytes) -> PluginManifest:
    """The manifest of a plugin wheel, after every check `read_wheel` makes."""
    return read_wheel(data).manifest


def read_wheel(data: bytes) -> WheelContents:
    if len(data) > MAX_WHEEL_BYTES:
        raise refused('wheel_too_large', f'The wheel is larger than {MAX_WHEEL_BYTES // MEGABYTE} MB.',
                      limit=MAX_WHEEL_BYTES // MEGABYTE)
    if not is_zip(data):
        raise refused('not_a_wheel', 'This file is not a wheel (.whl): it is not a zip archive.',
                      problem='not a zip archive')
    archive = SafeZip(data, WHEEL_LIMITS)
    files = {name: archive.read(name) for name in archive.names}
    dist_info = _dist_info_dir(files)
    metadata = HeaderParser().parsestr(files[f'{dist_info}/METADATA'].decode('utf-8', 'replace'))
    distribution, version = metadata.get('Name', ''), metadata.get('Version', '')
    if not distribution or not version:
        raise refused('not_a_wheel', 'This file is not a wheel: its METADATA has no Name or Version.',
                      problem='METADATA has no Name or Version')
    _check_pure(files, dist_info)
    _check_record(files, dist_info)
    manifest = _manifest(files)
    _check_entry_point(files, dist_info, manifest)
    return WheelContents(manifest, distribution, version, files)


def _dist_info_dir(files: dict[str, bytes]) -> str:
    folders = {name.split('/')[0] for name in files if name.split('/')[0].endswith('.dist-info')}
    if len(folders) != 1:
        raise refused('not_a_wheel', 'This file is not a wheel: it needs exactly one .dist-info folder.',
                      problem='not exactly one .dist-info folder')
    folder = folders.pop()
    for required in ('METADATA', 'WHEEL', 'RECORD'):
        if f'{folder}/{required}' not in files:
            raise refused('not_a_wheel', f'This file is not a wheel: {folder}/{required} is missing.',
                          problem=f'{folder}/{required} is missing')
    return folder


def _check_pure(files: dict[str, bytes], dist_info: str) -> None:
    wheel = HeaderParser().parsestr(files[f'{dist_info}/WHEEL'].decode('utf-8', 'replace'))
    tags = wheel.get_all('Tag') or []
    impure = [tag for tag in tags if not _pure_tag(tag)]
    if not tags or impure or wheel.get('Root-Is-Purelib', '').strip().lower() != 'true':
        raise refused('not_pure_python', f'Only pure-Python plugins (py3-none-any wheels) can be installed; this '
                      f'wheel is tagged {", ".join(impure or tags) or "without a tag"}.',
                      tags=', '.join(impure or tags))
    compiled = [name for name in files if name.lower().endswith(COMPILED_SUFFIXES)]
    if compiled:
        raise refused('not_pure_python', f'Only pure-Python plugins can be installed; this wheel contains compiled '
                      f'files ({", ".join(compiled[:3])}).', tags=', '.join(compiled[:3]))
    data_dirs = [name for name in files if '.data/' in name.split('/', 1)[0] + '/']
    if data_dirs:
        raise refused('not_pure_python', 'The wheel installs files outside its package (a .data folder), which '
                      'plugins may not do.', tags='.data')


def _pure_tag(tag: str) -> bool:
    parts = tag.strip().split('-')
    return len(parts) == 3 and 'py3' in parts[0].split('.') and parts[1] == 'none' and parts[2] == 'any'


def _check_record(files: dict[str, bytes], dist_info: str) -> None:
    """Every file must be listed in RECORD with a matching sha256 (RECORD itself excepted)."""
    record_name = f'{dist_info}/RECORD'
    listed: dict[str, str] = {}
    for row in csv.reader(io.StringIO(files[record_name].decode('utf-8', 'replace'))):
        if row and row[0]:
            listed[row[0]] = row[1] if len(row) > 1 else ''
    for name, content in files.items():
        if name == record_name:
            continue
        expected = listed.get(name)
        if not expected:
            raise refused('record_mismatch', f'The wheel contains "{name}", which its RECORD does not list; it may '
                          'have been tampered with.', path=name)
        algorithm, _, digest = expected.partition('=')
        if algorithm != 'sha256' or _record_digest(content) != digest:
            raise refused('record_mismatch', f'The file "{name}" does not match the hash in the wheel\'s RECORD; the '
                          'wheel may have been tampered with.', path=name)


def _record_digest(content: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b'=').decode('ascii')


def _manifest(files: dict[str, bytes]) -> PluginManifest:
    names = manifest_names(list(files))
    if not names:
        raise refused('no_manifest', 'The wheel has no plugin.json in its package, so it is not a TavernAI Plus '
                      'plugin.', where='wheel')
    if len(names) > 1:
        raise refused('invalid_manifest', f'The wheel has several plugin.json files ({", ".join(names)}); a plugin '
                      'wheel holds exactly one.', where=', '.join(names), problem='several manifests')
    return parse_manifest(files[names[0]], names[0])


def _check_entry_point(files: dict[str, bytes], dist_info: str, manifest: PluginManifest) -> None:
    parser = configparser.ConfigParser(delimiters=('=',), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    text = files.get(f'{dist_info}/entry_points.txt', b'').decode('utf-8', 'replace')
    try:
        parser.read_string(text)
    except configparser.Error:
        parser.clear()
    section = parser[ENTRY_POINT_GROUP] if parser.has_section(ENTRY_POINT_GROUP) else {}
    if manifest.id not in section:
        raise refused('no_entry_point', f'The wheel does not register "{manifest.id}" in the entry point group '
                      f'{ENTRY_POINT_GROUP}, so the app could not load it.', plugin=manifest.id,
                      group=ENTRY_POINT_GROUP)
    module = section[manifest.id].split(':')[0].strip()
    if module.split('.')[0] not in {name.split('/')[0].removesuffix('.py') for name in files}:
        raise refused('no_entry_point', f'The entry point names the module "{module}", which the wheel does not '
                      'contain.', plugin=manifest.id, group=ENTRY_POINT_GROUP)
