"""Installing plugin wheels: every refusal names its problem and leaves nothing behind; a good wheel works at once
(hooks and routes) without a restart; uninstalling stops it at once and asks for a restart."""

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app import runtime
from app.api.plugins import mount_plugin_routes
from app.api.router import install_api
from app.errors import TavernError
from app.plugins import PluginStateError
from app.plugins.discovery import site_dir
from app.services.container import Services
from tests.support.plugin_wheels import ROUTE_PLUGIN, build_wheel, manifest_for, unique_id


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app with the REST API and the plugin routes of `services`."""
    app = FastAPI()
    install_api(app, active_connections=lambda: 0)
    mount_plugin_routes(app, services.plugins)
    runtime.install(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://testserver') as client:
        yield client
    runtime.install(None)


def _site_files(services: Services) -> list[str]:
    site = site_dir(services.settings)
    return sorted(path.name for path in site.iterdir()) if site.exists() else []


async def _refusal(services: Services, wheel: bytes, **options: object) -> TavernError:
    with pytest.raises(TavernError) as caught:
        await services.plugins.install_wheel(wheel, source='upload', **options)
    assert _site_files(services) == []
    assert await services.plugins.state.installs() == {}
    return caught.value


async def test_a_wheel_installs_and_works_without_a_restart(services: Services, http: httpx.AsyncClient) -> None:
    plugin_id = unique_id()
    wheel = build_wheel(manifest_for(plugin_id, permissions=['chat.read', 'network']), {'plugin.py': ROUTE_PLUGIN})
    plugin = await services.plugins.install_wheel(wheel, source='upload', consent=['chat.read', 'network'])
    assert plugin.status == 'enabled' and plugin.source == 'site'
    assert _site_files(services) == [plugin_id, f'{plugin_id}-1.0.0.dist-info']
    assert await services.plugins.pipe('stream_delta', 'abc', chat=None) == 'ABC'
    response = await http.get(f'/api/plugins/{plugin_id}/ping')
    assert response.status_code == 200 and response.json() == {'pong': True}
    row = await services.plugins.state.install_row(plugin_id)
    assert row is not None and (row.version, row.source) == ('1.0.0', 'upload')
    assert row.sha256 == hashlib.sha256(wheel).hexdigest()
    assert row.consent['permissions'] == ['chat.read', 'network']


async def test_disabling_makes_its_routes_answer_404(services: Services, http: httpx.AsyncClient) -> None:
    plugin_id = unique_id()
    await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                         source='upload')
    await services.plugins.set_enabled(plugin_id, False)
    assert (await http.get(f'/api/plugins/{plugin_id}/ping')).status_code == 404
    await services.plugins.set_enabled(plugin_id, True)
    assert (await http.get(f'/api/plugins/{plugin_id}/ping')).status_code == 200


async def test_uninstall_removes_files_and_stops_routes_at_once(services: Services, http: httpx.AsyncClient) -> None:
    plugin_id = unique_id()
    await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                         source='upload')
    await services.plugins.write_settings(plugin_id, 'admin', {'greeting': 'hi'})
    await services.plugins.uninstall(plugin_id)
    response = await http.get(f'/api/plugins/{plugin_id}/ping')
    assert response.status_code == 404 and response.json()['code'] == 'error.plugins.not_found'
    plugin = services.plugins.get(plugin_id)
    assert plugin.status == 'restart_required' and plugin.restart_required
    assert _site_files(services) == []
    assert await services.plugins.state.install_row(plugin_id) is None
    assert await services.plugins.pipe('stream_delta', 'abc', chat=None) == 'abc'
    with pytest.raises(PluginStateError) as caught:
        await services.plugins.uninstall(plugin_id)
    assert caught.value.code == 'error.plugins.already_removed'


async def test_the_same_version_twice_is_a_conflict_and_a_new_version_needs_a_restart(services: Services) -> None:
    plugin_id = unique_id()
    await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                         source='upload')
    with pytest.raises(PluginStateError) as caught:
        await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                             source='upload')
    assert caught.value.code == 'error.plugins.already_installed'
    upgraded = await services.plugins.install_wheel(
        build_wheel(manifest_for(plugin_id, version='1.1.0'), {'plugin.py': ROUTE_PLUGIN}), source='upload')
    assert upgraded.version == '1.1.0' and upgraded.restart_required
    assert _site_files(services) == [plugin_id, f'{plugin_id}-1.1.0.dist-info']
    assert (await services.plugins.state.install_row(plugin_id)).version == '1.1.0'


async def test_a_tampered_download_is_refused(services: Services) -> None:
    wheel = build_wheel(manifest_for(unique_id()), {'plugin.py': ROUTE_PLUGIN})
    error = await _refusal(services, wheel, expected_sha256=hashlib.sha256(b'another file').hexdigest())
    assert error.code == 'error.plugins.tampered'


async def test_a_file_changed_after_the_wheel_was_built_is_refused(services: Services) -> None:
    plugin_id = unique_id()
    wheel = build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}, tamper=f'{plugin_id}/plugin.py')
    error = await _refusal(services, wheel)
    assert error.code == 'error.plugins.record_mismatch' and error.params['path'] == f'{plugin_id}/plugin.py'


@pytest.mark.parametrize(('manifest', 'code', 'message'), [
    ({'requires_app': '>=99'}, 'error.plugins.incompatible_app', 'needs TavernAI Plus >=99'),
    ({'requires_python': '<3'}, 'error.plugins.incompatible_python', 'needs Python <3'),
    ({'depends_on': {'absent_plugin': '>=1.0'}}, 'error.plugins.missing_dependency',
     'needs the plugin "absent_plugin" >=1.0; install it first'),
])
async def test_requirements_the_server_cannot_meet_are_refused(services: Services, manifest: dict, code: str,
                                                               message: str) -> None:
    error = await _refusal(services, build_wheel(manifest_for(unique_id(), **manifest), {'plugin.py': ''}))
    assert error.code == code and message in error.message


async def test_a_dependency_in_the_wrong_version_is_refused(services: Services) -> None:
    base = unique_id()
    await services.plugins.install_wheel(build_wheel(manifest_for(base), {'plugin.py': ''}), source='upload')
    wheel = build_wheel(manifest_for(unique_id(), depends_on={base: '>=2'}), {'plugin.py': ''})
    with pytest.raises(TavernError) as caught:
        await services.plugins.install_wheel(wheel, source='upload')
    assert caught.value.code == 'error.plugins.incompatible_dependency'
    assert caught.value.message.endswith(f'needs the plugin "{base}" >=2, but 1.0.0 is installed.')


@pytest.mark.parametrize('options', [
    {'tag': 'cp311-cp311-manylinux_2_17_x86_64'},
    {'extra_files': {'native/speedup.cpython-311-x86_64-linux-gnu.so': b'\x7fELF'}},
])
async def test_wheels_that_are_not_pure_python_are_refused(services: Services, options: dict) -> None:
    error = await _refusal(services, build_wheel(manifest_for(unique_id()), {'plugin.py': ''}, **options))
    assert error.code == 'error.plugins.not_pure_python'
    assert error.message.startswith('Only pure-Python plugins')


async def test_a_bad_or_missing_manifest_is_refused(services: Services) -> None:
    error = await _refusal(services, build_wheel(manifest_for(unique_id(), permissions=['root']), {'plugin.py': ''}))
    assert error.code == 'error.plugins.invalid_manifest' and 'permissions' in error.params['problem']
    error = await _refusal(services, build_wheel(manifest_for(unique_id()), {}, register_entry_point=False))
    assert error.code == 'error.plugins.no_entry_point'
    error = await _refusal(services, b'PK\x03\x04 this is no zip')
    assert error.code == 'error.card.broken_zip'
    error = await _refusal(services, b'just text')
    assert error.code == 'error.plugins.not_a_wheel'


async def test_zip_bombs_and_path_traversal_are_refused(services: Services) -> None:
    plugin_id = unique_id()
    zeros = {f'{plugin_id}/zeros.txt': bytes(8 << 20)}
    bomb = build_wheel(manifest_for(plugin_id), {'plugin.py': ''}, extra_files=zeros)
    assert (await _refusal(services, bomb)).code == 'error.card.zip_bomb'
    escape = build_wheel(manifest_for(unique_id()), {'plugin.py': ''}, extra_files={'../escape.py': b'x = 1'})
    assert (await _refusal(services, escape)).code == 'error.card.zip_unsafe_path'
    assert not (site_dir(services.settings).parent / 'escape.py').exists()


async def test_a_module_that_would_shadow_an_installed_one_is_refused(services: Services) -> None:
    error = await _refusal(services, build_wheel(manifest_for('yaml', entry_point='yaml'), {}))
    assert error.code == 'error.plugins.module_clash' and error.params['module'] == 'yaml'


async def test_a_plugin_that_fails_to_import_is_rolled_back(services: Services) -> None:
    plugin_id = unique_id()
    error = await _refusal(services, build_wheel(manifest_for(plugin_id), {'plugin.py': 'raise ValueError("bad")'}))
    assert error.code == 'error.plugins.load_failed' and 'ValueError: bad' in error.message
    assert services.plugins.find(plugin_id) is None

