"""Plugin indexes: reading them from a folder, a file:// URL or a real HTTP server (cached ten minutes in the
key-value store), merging several, picking the version to install, and matching revocations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from app.config import Settings
from app.errors import NotFoundError
from app.infra.key_value import MemoryKeyValueStore
from app.plugins.errors import PluginRefusedError
from app.plugins.index import (
    CACHE_SECONDS,
    IndexReader,
    PluginIndex,
    RevokedEntry,
    Runtime,
    fetch_bytes,
    index_location,
    merge_indexes,
    parse_index,
    pick_version,
)
from app.plugins.local_index import PROJECT_PLUGINS_DIR, build_index, build_local_index, local_index_dir
from app.plugins.marketplace import index_sources
from tests.support.fake_server import serving
from tests.support.plugin_builds import build_into, edit_index, listed_version, plugin_source

RUNTIME = Runtime(app_version='0.5.0', python_version='3.11.9')
SHA = 'a' * 64


def _version(version: str, **fields: object) -> dict:
    return {'version': version, 'wheel_url': f'w-{version}.whl', 'sha256': SHA, **fields}


def _index(*plugins: dict, revoked: list[dict] | None = None, url: str = 'https://example.org/index.json') \
        -> PluginIndex:
    return parse_index(json.dumps({'schema_version': 1, 'plugins': list(plugins), 'revoked': revoked or []}), url)


def _plugin(plugin_id: str, *versions: dict) -> dict:
    return {'id': plugin_id, 'name': plugin_id.title(), 'versions': list(versions)}


@pytest.fixture
async def http() -> Iterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    source = plugin_source(tmp_path / 'src', 'greeter', '1.0.0')
    build_into(tmp_path / 'index', source)
    return tmp_path / 'index'


@pytest.fixture
def web_index(index_dir: Path) -> Iterator[str]:
    app = Starlette()
    app.mount('/plugins', StaticFiles(directory=index_dir))
    with serving(app) as base_url:
        yield f'{base_url}/plugins/index.json'


def test_relative_wheel_urls_are_resolved_against_the_index() -> None:
    index = _index(_plugin('dice', _version('1.0.0'), _version('1.1.0', wheel_url='https://cdn.example.org/d.whl')),
                   url='https://example.org/plugins/index.json')
    urls = [entry.wheel_url for entry in index.plugins[0].versions]
    assert urls == ['https://example.org/plugins/w-1.0.0.whl', 'https://cdn.example.org/d.whl']
    assert {entry.index_url for entry in index.plugins[0].versions} == {'https://example.org/plugins/index.json'}


def test_a_broken_or_newer_schema_document_is_refused_with_the_problem() -> None:
    with pytest.raises(PluginRefusedError) as broken:
        parse_index('{"plugins": [{"id": "dice", "name": "Dice", "versions": [{"version": "1"}]}]}', 'x')
    assert broken.value.code == 'error.plugins.index_invalid'
    assert 'plugins.0.versions.0.wheel_url' in broken.value.message
    with pytest.raises(PluginRefusedError) as newer:
        parse_index('{"schema_version": 2}', 'x')
    assert 'schema version 2' in newer.value.message
    with pytest.raises(PluginRefusedError) as local_wheel:
        _index(_plugin('dice', _version('1.0.0', wheel_url='file:///etc/passwd')))
    assert 'a web index may only list web wheel URLs' in local_wheel.value.message


async def test_a_local_index_is_read_fresh_from_a_folder_or_file_url(index_dir: Path,
                                                                      http: httpx.AsyncClient) -> None:
    reader = IndexReader(http, MemoryKeyValueStore())
    index = await reader.read(str(index_dir))
    (entry,) = index.plugins[0].versions
    assert entry.wheel_url == (index_dir / 'tavern_plugin_greeter-1.0.0-py3-none-any.whl').as_uri()
    edit_index(index_dir / 'index.json', lambda document: document['plugins'][0].update(name='Renamed'))
    assert (await reader.read(index_location(str(index_dir / 'index.json')))).plugins[0].name == 'Renamed'


async def test_a_remote_index_is_cached_for_ten_minutes_unless_refreshed(web_index: str, index_dir: Path,
                                                                         http: httpx.AsyncClient) -> None:
    kv = MemoryKeyValueStore()
    reader = IndexReader(http, kv)
    first = await reader.read(web_index)
    assert first.plugins[0].versions[0].wheel_url.startswith(web_index.removesuffix('index.json'))
    (key,) = kv._values
    assert 0 < await kv.ttl(key) <= CACHE_SECONDS
    edit_index(index_dir / 'index.json', lambda document: document['plugins'][0].update(name='Renamed'))
    assert (await reader.read(web_index)).plugins[0].name == 'Greeter'
    assert (await reader.read(web_index, refresh=True)).plugins[0].name == 'Renamed'


async def test_unreadable_indexes_are_reported_and_the_rest_still_merges(web_index: str, tmp_path: Path,
                                                                         http: httpx.AsyncClient) -> None:
    missing = web_index.replace('index.json', 'nothing.json')
    catalog = await IndexReader(http, MemoryKeyValueStore()).catalog([missing, str(tmp_path / 'nowhere'), web_index])
    assert list(catalog.plugins) == ['greeter']
    assert 'HTTP 404' in catalog.failures[missing]
    assert str(tmp_path / 'nowhere') in catalog.failures


async def test_downloads_stop_at_the_size_limit(web_index: str, index_dir: Path, http: httpx.AsyncClient) -> None:
    wheel_url = web_index.replace('index.json', 'tavern_plugin_greeter-1.0.0-py3-none-any.whl')
    size = (index_dir / 'tavern_plugin_greeter-1.0.0-py3-none-any.whl').stat().st_size
    assert len(await fetch_bytes(wheel_url, http, size, what='wheel')) == size
    with pytest.raises(PluginRefusedError) as remote:
        await fetch_bytes(wheel_url, http, size - 1, what='wheel')
    assert remote.value.code == 'error.plugins.wheel_too_large'
    with pytest.raises(PluginRefusedError) as local:
        await fetch_bytes(str(index_dir / 'index.json'), http, 10, what='index')
    assert local.value.code == 'error.plugins.index_too_large'


def test_merging_pools_versions_and_the_first_index_wins_a_duplicate() -> None:
    first = _index(_plugin('dice', _version('1.0.0', permissions=['chat.read'])),
                   revoked=[{'id': 'dice', 'versions': '<1.0'}], url='https://one.example/index.json')
    second = _index(_plugin('dice', _version('1.0.0', permissions=['network']), _version('2.0.0')),
                    _plugin('memo', _version('0.1.0')), revoked=[{'id': 'memo', 'versions': '*'}],
                    url='https://two.example/index.json')
    catalog = merge_indexes([first, second])
    dice = catalog.plugins['dice']
    assert [entry.version for entry in dice.newest_first()] == ['2.0.0', '1.0.0']
    assert dice.find('1.0.0').permissions == ['chat.read']
    assert dice.find('2.0.0').index_url == 'https://two.example/index.json'
    assert sorted(catalog.plugins) == ['dice', 'memo']
    assert [entry.id for entry in catalog.revoked] == ['dice', 'memo']


@pytest.mark.parametrize(('specifier', 'version', 'expected'), [
    ('', '1.0.0', True), ('*', '9.9', True), ('<1.2', '1.1.9', True), ('<1.2', '1.2.0', False),
    ('==1.0.0', '1.0.0', True), ('>=2.0.0rc1', '2.0.0rc2', True)])
def test_revocations_match_by_specifier(specifier: str, version: str, expected: bool) -> None:
    entry = RevokedEntry(id='dice', versions=specifier)
    assert entry.matches('dice', version) is expected
    assert entry.matches('other', version) is False


def _catalog() -> object:
    return merge_indexes([_index(_plugin('dice', _version('1.0.0'), _version('1.1.0'), _version('1.2.0', yanked=True),
                                         _version('1.3.0', requires_app='>=1.0'),
                                         _version('1.4.0', requires_python='>=3.13')),
                                 revoked=[{'id': 'dice', 'versions': '==1.1.0', 'reason': 'steals keys'}])])


def test_the_newest_version_that_is_compatible_not_yanked_and_not_revoked_is_picked() -> None:
    assert pick_version(_catalog(), 'dice', RUNTIME).version == '1.0.0'
    newer_app = Runtime(app_version='1.0.0', python_version='3.13.0')
    assert pick_version(_catalog(), 'dice', newer_app).version == '1.4.0'


@pytest.mark.parametrize(('version', 'code', 'words'), [
    ('1.1.0', 'revoked', 'steals keys'),
    ('1.3.0', 'incompatible_app', 'needs TavernAI Plus >=1.0; this is 0.5.0'),
    ('1.4.0', 'incompatible_python', 'needs Python >=3.13; this server runs 3.11.9'),
    ('7.0.0', 'version_not_in_index', 'version 7.0.0'),
    ('latest', 'version_not_in_index', 'version latest')])
def test_a_pinned_version_is_refused_with_the_reason(version: str, code: str, words: str) -> None:
    with pytest.raises(PluginRefusedError) as refused:
        pick_version(_catalog(), 'dice', RUNTIME, version)
    assert refused.value.code == f'error.plugins.{code}'
    assert words in refused.value.message


def test_a_yanked_version_installs_only_when_pinned() -> None:
    catalog = merge_indexes([_index(_plugin('dice', _version('1.0.0', yanked=True)))])
    with pytest.raises(PluginRefusedError) as refused:
        pick_version(catalog, 'dice', RUNTIME)
    assert refused.value.code == 'error.plugins.yanked'
    assert pick_version(catalog, 'dice', RUNTIME, '1.0.0').version == '1.0.0'


def test_when_no_version_fits_the_newest_ones_problem_is_named() -> None:
    catalog = merge_indexes([_index(_plugin('dice', _version('1.0.0', requires_app='>=2'),
                                            _version('2.0.0', requires_app='>=3')))])
    with pytest.raises(PluginRefusedError) as refused:
        pick_version(catalog, 'dice', RUNTIME)
    assert refused.value.code == 'error.plugins.incompatible_app'
    assert refused.value.params['required'] == '>=3'
    with pytest.raises(NotFoundError) as unknown:
        pick_version(catalog, 'nothing', RUNTIME)
    assert unknown.value.code == 'error.plugins.not_in_index'


def test_building_into_an_index_folder_keeps_older_releases_and_revocations(tmp_path: Path) -> None:
    index_dir = tmp_path / 'index'
    index_path = build_into(index_dir, plugin_source(tmp_path, 'greeter', '1.0.0'))
    edit_index(index_path, lambda document: document['revoked'].append({'id': 'greeter', 'versions': '<1.0'}))
    released = listed_version(json.loads(index_path.read_text()), 'greeter', '1.0.0')['released_at']
    newer = plugin_source(tmp_path, 'greeter', '1.1.0')
    build_into(index_dir, newer, newer)
    document = json.loads(index_path.read_text())
    (plugin,) = document['plugins']
    assert [entry['version'] for entry in plugin['versions']] == ['1.1.0', '1.0.0']
    assert listed_version(document, 'greeter', '1.0.0')['released_at'] == released
    assert document['revoked'] == [{'id': 'greeter', 'versions': '<1.0', 'reason': '', 'link': ''}]
    assert sorted(path.name for path in index_dir.glob('*.whl')) == [
        'tavern_plugin_greeter-1.0.0-py3-none-any.whl', 'tavern_plugin_greeter-1.1.0-py3-none-any.whl']
    (index_dir / 'tavern_plugin_greeter-1.0.0-py3-none-any.whl').unlink()
    build = build_index(newer, index_dir)
    assert [entry['version'] for entry in json.loads(build.index_path.read_text())['plugins'][0]['versions']] \
        == ['1.1.0']


def test_the_local_index_leaves_out_a_broken_plugin_and_comes_first(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / 'data', database_url='', redis_url='', secret_key='x',
                        plugin_index_urls=['https://example.org/index.json'], _env_file=None)
    assert index_sources(settings) == ['https://example.org/index.json']
    plugin_source(tmp_path / 'project', 'good_one')
    broken = plugin_source(tmp_path / 'project', 'broken_one')
    (broken / 'broken_one' / 'plugin.json').write_text('{"id": "broken_one"')
    build = build_local_index(settings, tmp_path / 'project')
    assert [wheel.manifest.id for wheel in build.wheels] == ['good_one']
    assert 'not valid JSON' in build.failures['broken_one-1.0.0']
    assert index_sources(settings) == [str(local_index_dir(settings) / 'index.json'), 'https://example.org/index.json']


def test_every_first_party_plugin_builds_into_the_local_index(tmp_path: Path) -> None:
    build = build_index(PROJECT_PLUGINS_DIR, tmp_path / 'local-index')
    assert build.failures == {}
    ids = [wheel.manifest.id for wheel in build.wheels]
    assert ids == sorted(folder.name for folder in PROJECT_PLUGINS_DIR.iterdir()
                         if (folder / folder.name / 'plugin.json').is_file())
