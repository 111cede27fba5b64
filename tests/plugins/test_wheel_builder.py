"""The wheel builder: the same plugin source gives the same bytes, and the wheel is a valid one — readable by
`zipfile`, by `importlib.metadata` once unpacked, and by the host's own wheel reader."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import os
import zipfile
from pathlib import Path

import pytest

from app.plugins.errors import PluginRefusedError
from app.plugins.wheel import read_wheel
from app.plugins.wheel_builder import build_wheel, plugin_source_folders, read_plugin_source
from tests.support.plugin_builds import plugin_source


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return plugin_source(tmp_path, 'greeter', '1.2.0', permissions=['chat.read', 'network'], tags=['fun'])


def test_the_same_source_gives_the_same_bytes_whenever_it_is_built(source: Path) -> None:
    first = build_wheel(source)
    for path in source.rglob('*'):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    second = build_wheel(source)
    assert first.data == second.data
    assert first.sha256 == second.sha256 == hashlib.sha256(first.data).hexdigest()
    assert first.filename == 'tavern_plugin_greeter-1.2.0-py3-none-any.whl'


def test_a_changed_file_changes_the_sha256(source: Path) -> None:
    before = build_wheel(source)
    module = source / 'greeter' / 'plugin.py'
    module.write_text(module.read_text(encoding='utf-8') + '\n# changed\n', encoding='utf-8')
    assert build_wheel(source).sha256 != before.sha256


def test_the_wheel_lists_every_file_in_its_record_with_its_hash(source: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_wheel(source).data))
    names = archive.namelist()
    assert {'greeter/__init__.py', 'greeter/plugin.py', 'greeter/plugin.json', 'greeter/i18n/en.json',
            'greeter/i18n/zh-CN.json'} <= set(names)
    assert not any('tests/' in name or name.endswith('.pyc') for name in names)
    record_name = 'tavern_plugin_greeter-1.2.0.dist-info/RECORD'
    rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
    assert sorted(row[0] for row in rows) == sorted(names)
    for name, digest, size in rows:
        if name == record_name:
            assert digest == size == ''
            continue
        data = archive.read(name)
        assert digest == 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        assert int(size) == len(data)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    assert 'Tag: py3-none-any' in archive.read('tavern_plugin_greeter-1.2.0.dist-info/WHEEL').decode()


def test_unpacked_it_is_a_distribution_importlib_metadata_reads(source: Path, tmp_path: Path) -> None:
    site = tmp_path / 'site'
    zipfile.ZipFile(io.BytesIO(build_wheel(source).data)).extractall(site)
    (distribution,) = importlib.metadata.distributions(path=[str(site)])
    assert distribution.metadata['Name'] == 'tavern-plugin-greeter'
    assert distribution.version == '1.2.0'
    assert distribution.metadata['Requires-Python'] == '>=3.11'
    assert distribution.metadata['Keywords'] == 'fun'
    (entry_point,) = distribution.entry_points.select(group='tavernai_plus.plugins')
    assert (entry_point.name, entry_point.value) == ('greeter', 'greeter.plugin')
    manifest = next(file for file in distribution.files if str(file) == 'greeter/plugin.json')
    assert '"version": "1.2.0"' in manifest.read_text()


def test_the_host_accepts_the_wheel_it_builds(source: Path) -> None:
    contents = read_wheel(build_wheel(source).data)
    assert contents.manifest.id == 'greeter'
    assert [str(permission) for permission in contents.manifest.permissions] == ['chat.read', 'network']
    assert contents.top_level == {'greeter'}


def test_a_version_that_differs_between_pyproject_and_manifest_is_refused(source: Path) -> None:
    pyproject = source / 'pyproject.toml'
    pyproject.write_text(pyproject.read_text().replace('version = "1.2.0"', 'version = "1.3.0"'))
    with pytest.raises(PluginRefusedError) as refused:
        build_wheel(source)
    assert refused.value.code == 'error.plugins.build_version_mismatch'


def test_compiled_files_are_refused(source: Path) -> None:
    (source / 'greeter' / 'speedups.cpython-311-x86_64-linux-gnu.so').write_bytes(b'\x7fELF')
    with pytest.raises(PluginRefusedError) as refused:
        build_wheel(source)
    assert refused.value.code == 'error.plugins.build_not_pure'


def test_a_folder_without_a_plugin_package_is_not_a_source(tmp_path: Path, source: Path) -> None:
    (tmp_path / 'notes').mkdir()
    (tmp_path / 'notes' / 'pyproject.toml').write_text('[project]\nname = "notes"\n')
    assert plugin_source_folders(tmp_path) == [source]
    assert plugin_source_folders(source) == [source]
    with pytest.raises(PluginRefusedError) as refused:
        read_plugin_source(tmp_path / 'notes')
    assert refused.value.code == 'error.plugins.build_no_package'


def test_a_bare_package_folder_builds_too(tmp_path: Path, source: Path) -> None:
    package = source / 'greeter'
    built = build_wheel(package)
    assert built.manifest.id == 'greeter'
    assert read_wheel(built.data).manifest.version == '1.2.0'
