"""Start-up discovery: installed wheels come back after a restart with their state, local folder plugins load only
when allowed, `TAVERN_PLUGINS_DISABLED` skips everything, and a revoked version stays off."""

import json

import pytest

from app.plugins import PluginStateError
from app.plugins.discovery import local_dir
from app.plugins.manager import PluginManager
from app.services.container import Services
from tests.support.plugin_wheels import ROUTE_PLUGIN, build_wheel, manifest_for, unique_id


def _restarted(services: Services) -> PluginManager:
    """A new manager on the same settings and database, as after a server restart."""
    manager = PluginManager(services.settings, services.db, services.kv)
    manager.attach(services)
    return manager


async def test_an_installed_wheel_is_loaded_again_after_a_restart_with_its_state(services: Services) -> None:
    kept, switched_off, removed = unique_id(), unique_id(), unique_id()
    for plugin_id in (kept, switched_off, removed):
        await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                             source='upload')
    await services.plugins.set_enabled(switched_off, False)
    await services.plugins.uninstall(removed)
    manager = _restarted(services)
    loaded = {plugin.id: plugin for plugin in await manager.load_discovered()}
    assert {kept, switched_off} <= set(loaded) and removed not in loaded
    assert (loaded[kept].status, loaded[kept].source) == ('enabled', 'site')
    assert loaded[switched_off].status == 'disabled'
    assert await manager.pipe('stream_delta', 'abc', chat=None) == 'ABC'


async def test_local_folder_plugins_load_only_when_allowed(services: Services) -> None:
    plugin_id = unique_id()
    folder = local_dir(services.settings) / plugin_id
    folder.mkdir(parents=True)
    (folder / '__init__.py').write_text(ROUTE_PLUGIN, encoding='utf-8')
    (folder / 'plugin.json').write_text(json.dumps(manifest_for(plugin_id, entry_point='')), encoding='utf-8')
    assert plugin_id not in [plugin.id for plugin in await _restarted(services).load_discovered()]
    services.settings.local_plugins = True
    manager = _restarted(services)
    await manager.load_discovered()
    plugin = manager.get(plugin_id)
    assert (plugin.source, plugin.status) == ('local', 'enabled')


async def test_a_local_folder_with_a_broken_manifest_is_listed_as_failed(services: Services) -> None:
    services.settings.local_plugins = True
    folder = local_dir(services.settings) / 'broken_plugin'
    folder.mkdir(parents=True)
    (folder / '__init__.py').write_text('', encoding='utf-8')
    (folder / 'plugin.json').write_text('{"id": "broken_plugin"}', encoding='utf-8')
    manager = _restarted(services)
    await manager.load_discovered()
    plugin = manager.get('broken_plugin')
    assert plugin.status == 'failed' and plugin.load_error.startswith('The plugin manifest broken_plugin/plugin.json')


async def test_plugins_disabled_skips_discovery(services: Services) -> None:
    await services.plugins.install_wheel(build_wheel(manifest_for(unique_id()), {'plugin.py': ROUTE_PLUGIN}),
                                         source='upload')
    services.settings.plugins_disabled = True
    manager = _restarted(services)
    assert await manager.load_discovered() == [] and not manager.has_impls('stream_delta')


async def test_a_revoked_plugin_stops_and_cannot_be_switched_on(services: Services) -> None:
    plugin_id = unique_id()
    await services.plugins.install_wheel(build_wheel(manifest_for(plugin_id), {'plugin.py': ROUTE_PLUGIN}),
                                         source='upload')
    await services.plugins.mark_revoked(plugin_id, 'leaks API keys')
    plugin = services.plugins.get(plugin_id)
    assert (plugin.status, plugin.revoked) == ('revoked', 'leaks API keys')
    assert await services.plugins.pipe('stream_delta', 'abc', chat=None) == 'abc'
    with pytest.raises(PluginStateError) as caught:
        await services.plugins.set_enabled(plugin_id, True)
    assert caught.value.code == 'error.plugins.revoked_enable'
