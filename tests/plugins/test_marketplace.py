"""Installing from plugin indexes with the real app services, manager and installer: plugins made from the
scaffold, built into a real index folder, installed, updated and revoked — and every refusal on the way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.errors import NotFoundError
from app.plugins.errors import PluginRefusedError, PluginStateError
from app.plugins.marketplace import Marketplace, marketplace_for, start_marketplace
from app.plugins.wheel_builder import build_wheel
from app.services.container import Services, build_services
from plugins.sdk import ChatInfo, PromptMessage
from tests.support.databases import fresh_sqlite_url
from tests.support.plugin_builds import (
    build_into,
    edit_index,
    isolated_imports,
    listed_version,
    plugin_source,
)
from tests.support.plugin_wheels import unique_id

PROMPT = [PromptMessage(role='system', content='You are Mira.'), PromptMessage(role='user', content='Hi')]
CHAT = ChatInfo(id='chat', user_id='user', character_id='character', character_name='Mira', user_name='Ann')


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template_dir: Path) -> str:
    """The install flow is about files and indexes; the state tables are tested on both databases elsewhere."""
    return fresh_sqlite_url(tmp_path, sqlite_template_dir)


@pytest.fixture(autouse=True)
def clean_imports() -> Iterator[None]:
    with isolated_imports():
        yield


@pytest.fixture
def index_dir(tmp_path: Path, settings: Settings) -> Path:
    folder = tmp_path / 'index'
    folder.mkdir()
    settings.plugin_index_urls = [str(folder / 'index.json')]
    return folder


@pytest.fixture
async def market(services: Services) -> AsyncIterator[Marketplace]:
    await services.plugins.load_discovered()
    yield marketplace_for(services)
    await services.plugins.shutdown()


def _publish(tmp_path: Path, index_dir: Path, plugin_id: str, version: str = '1.0.0', **manifest: object) -> Path:
    source = plugin_source(tmp_path / 'sources', plugin_id, version, **manifest)
    return build_into(index_dir, source)


async def _refused(action: object, code: str) -> PluginRefusedError:
    with pytest.raises(PluginRefusedError) as refused:
        await action  # type: ignore[misc]
    assert refused.value.code == f'error.plugins.{code}', refused.value.message
    return refused.value


async def test_an_indexed_plugin_installs_and_works_without_a_restart(tmp_path: Path, index_dir: Path,
                                                                      market: Marketplace,
                                                                      services: Services) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, permissions=['chat.read', 'network'])
    listing = await market.listing()
    (entry,) = listing.plugins
    assert (entry.id, entry.latest, entry.installed_version) == (plugin_id, '1.0.0', None)
    assert entry.versions[0].permissions == ['chat.read', 'network']
    plugin = await market.install(plugin_id, consent=['chat.read', 'network'])
    assert (plugin.version, plugin.status, plugin.source) == ('1.0.0', 'enabled', 'site')
    prompt = await services.plugins.pipe('prompt_messages', PROMPT, chat=CHAT)
    assert 'Greet Ann with the words "Hello"' in prompt[1].content
    row = await services.plugins.state.install_row(plugin_id)
    assert (row.source, row.sha256) == ('index', listed_version(
        json.loads((index_dir / 'index.json').read_text()), plugin_id, '1.0.0')['sha256'])
    assert (await market.detail(plugin_id)).installed_version == '1.0.0'


async def test_installing_needs_consent_to_every_permission(tmp_path: Path, index_dir: Path,
                                                            market: Marketplace) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, permissions=['chat.read', 'network'])
    refused = await _refused(market.install(plugin_id, consent=['chat.read']), 'consent_required')
    assert refused.params['permissions'] == 'network'
    assert market.plugins.find(plugin_id) is None


async def test_a_tampered_wheel_is_refused_and_nothing_is_installed(tmp_path: Path, index_dir: Path,
                                                                    market: Marketplace, settings: Settings) -> None:
    plugin_id = unique_id()
    index = _publish(tmp_path, index_dir, plugin_id)
    source = tmp_path / 'sources' / f'{plugin_id}-1.0.0'
    module = source / plugin_id / 'plugin.py'
    module.write_text(module.read_text() + '\nimport os  # a backdoor\n')
    tampered = build_wheel(source)
    wheel_name = listed_version(json.loads(index.read_text()), plugin_id, '1.0.0')['wheel_url']
    (index_dir / wheel_name).write_bytes(tampered.data)
    refused = await _refused(market.install(plugin_id, consent=['chat.read']), 'tampered')
    assert refused.params['actual'] == tampered.sha256
    assert 'tampered' in refused.message
    assert market.plugins.find(plugin_id) is None
    assert not (settings.plugins_dir / 'site' / plugin_id).exists()


async def test_an_incompatible_app_version_is_refused_and_an_older_compatible_one_chosen(
        tmp_path: Path, index_dir: Path, market: Marketplace) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, '2.0.0', requires_app='>=99')
    await _refused(market.install(plugin_id, consent=['chat.read']), 'incompatible_app')
    (entry,) = (await market.listing()).plugins
    assert (entry.latest, entry.versions[0].compatible, entry.versions[0].installable) == (None, False, False)
    _publish(tmp_path, index_dir, plugin_id, '1.0.0')
    assert (await market.listing()).plugins[0].latest == '1.0.0'
    await _refused(market.install(plugin_id, version='2.0.0', consent=['chat.read']), 'incompatible_app')
    assert (await market.install(plugin_id, consent=['chat.read'])).version == '1.0.0'


async def test_a_missing_or_incompatible_dependency_is_refused(tmp_path: Path, index_dir: Path,
                                                               market: Marketplace) -> None:
    base, addon = unique_id('base'), unique_id('addon')
    _publish(tmp_path, index_dir, base, '1.0.0')
    _publish(tmp_path, index_dir, addon, '1.0.0', depends_on={base: '>=1.0'})
    refused = await _refused(market.install(addon, consent=['chat.read']), 'missing_dependency')
    assert refused.params['dependency'] == base
    _publish(tmp_path, index_dir, addon, '2.0.0', depends_on={base: '>=2.0'})
    await market.install(base, consent=['chat.read'])
    refused = await _refused(market.install(addon, consent=['chat.read']), 'incompatible_dependency')
    assert (refused.params['required'], refused.params['actual']) == ('>=2.0', '1.0.0')
    assert (await market.install(addon, version='1.0.0', consent=['chat.read'])).status == 'enabled'


async def test_a_revoked_version_is_refused_even_when_pinned(tmp_path: Path, index_dir: Path,
                                                             market: Marketplace) -> None:
    plugin_id = unique_id()
    index = _publish(tmp_path, index_dir, plugin_id)
    edit_index(index, lambda document: document['revoked'].append(
        {'id': plugin_id, 'versions': '<=1.0.0', 'reason': 'sends chats away', 'link': 'https://example.org'}))
    refused = await _refused(market.install(plugin_id, consent=['chat.read']), 'revoked')
    assert refused.params['reason'] == 'sends chats away'
    await _refused(market.install(plugin_id, version='1.0.0', consent=['chat.read']), 'revoked')
    assert (await market.detail(plugin_id)).versions[0].revoked == 'sends chats away'


async def test_a_yanked_version_installs_only_when_asked_for_by_number(tmp_path: Path, index_dir: Path,
                                                                       market: Marketplace) -> None:
    plugin_id = unique_id()
    index = _publish(tmp_path, index_dir, plugin_id)
    edit_index(index, lambda document: listed_version(document, plugin_id, '1.0.0').update(yanked=True))
    await _refused(market.install(plugin_id, consent=['chat.read']), 'yanked')
    assert (await market.install(plugin_id, version='1.0.0', consent=['chat.read'])).version == '1.0.0'


async def test_a_wheel_that_is_not_the_listed_plugin_is_refused(tmp_path: Path, index_dir: Path,
                                                                market: Marketplace) -> None:
    listed, other = unique_id('listed'), unique_id('other')
    _publish(tmp_path, index_dir, listed)
    index = _publish(tmp_path, index_dir, other)

    def swap(document: dict) -> None:
        listed_version(document, listed, '1.0.0').update(
            {key: listed_version(document, other, '1.0.0')[key] for key in ('wheel_url', 'sha256', 'size')})
    edit_index(index, swap)
    refused = await _refused(market.install(listed, consent=['chat.read']), 'index_mismatch')
    assert refused.params['wheel_id'] == other


async def test_a_wheel_the_index_says_is_too_large_is_not_downloaded(tmp_path: Path, index_dir: Path,
                                                                     market: Marketplace) -> None:
    plugin_id = unique_id()
    index = _publish(tmp_path, index_dir, plugin_id)
    edit_index(index, lambda document: listed_version(document, plugin_id, '1.0.0').update(size=10**9))
    await _refused(market.install(plugin_id, consent=['chat.read']), 'wheel_too_large')


async def test_an_update_installs_the_newer_version(tmp_path: Path, index_dir: Path, market: Marketplace) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, '1.0.0')
    await market.install(plugin_id, consent=['chat.read'])
    with pytest.raises(PluginStateError) as current:
        await market.update(plugin_id, consent=['chat.read'])
    assert current.value.code == 'error.plugins.up_to_date'
    _publish(tmp_path, index_dir, plugin_id, '1.1.0', permissions=['chat.read', 'chat.write'])
    (entry,) = (await market.listing()).plugins
    assert (entry.installed_version, entry.latest, entry.update_available) == ('1.0.0', '1.1.0', True)
    await _refused(market.update(plugin_id, consent=['chat.read']), 'consent_required')
    updated = await market.update(plugin_id, consent=['chat.read', 'chat.write'])
    assert updated.version == '1.1.0'
    assert (await market.plugins.state.install_row(plugin_id)).version == '1.1.0'
    assert (await market.detail(plugin_id)).update_available is False


async def test_a_wheel_url_installs_with_consent_and_uninstalls(tmp_path: Path, index_dir: Path,
                                                                market: Marketplace) -> None:
    plugin_id = unique_id()
    wheel = build_wheel(plugin_source(tmp_path / 'sources', plugin_id, permissions=['network']))
    path = tmp_path / wheel.filename
    path.write_bytes(wheel.data)
    await _refused(market.install_from_url(path.as_uri(), consent=[]), 'consent_required')
    plugin = await market.install_from_url(path.as_uri(), consent=['network'])
    assert (plugin.id, (await market.plugins.state.install_row(plugin_id)).source) == (plugin_id, 'url')
    await market.uninstall(plugin_id)
    assert market.plugins.find(plugin_id).removed
    assert await market.plugins.state.install_row(plugin_id) is None


async def test_an_unlisted_plugin_is_not_found(index_dir: Path, market: Marketplace) -> None:
    with pytest.raises(NotFoundError) as missing:
        await market.install('nothing_here', consent=[])
    assert missing.value.code == 'error.plugins.not_in_index'


async def test_a_version_revoked_after_install_is_disabled_at_the_next_start(tmp_path: Path, index_dir: Path,
                                                                             market: Marketplace, services: Services,
                                                                             settings: Settings) -> None:
    plugin_id = unique_id()
    index = _publish(tmp_path, index_dir, plugin_id)
    await market.install(plugin_id, consent=['chat.read'])
    assert await start_marketplace(services) == []
    edit_index(index, lambda document: document['revoked'].append(
        {'id': plugin_id, 'versions': '==1.0.0', 'reason': 'leaks API keys'}))
    restarted = build_services(settings)
    try:
        await restarted.plugins.load_discovered()
        assert restarted.plugins.is_enabled(plugin_id)
        (notice,) = await start_marketplace(restarted)
        assert (notice.plugin_id, notice.version, notice.reason) == (plugin_id, '1.0.0', 'leaks API keys')
        plugin = restarted.plugins.get(plugin_id)
        assert (plugin.status, plugin.revoked) == ('revoked', 'leaks API keys')
        assert not restarted.plugins.is_enabled(plugin_id)
        assert await restarted.plugins.pipe('prompt_messages', PROMPT, chat=CHAT) == PROMPT
        assert (await marketplace_for(restarted).detail(plugin_id)).installed_status == 'revoked'
    finally:
        await restarted.plugins.shutdown()
        await restarted.close()
