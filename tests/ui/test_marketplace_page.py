"""The marketplace pages in NiceGUI's simulated browser: browse, search and filter by tag, a plugin's permissions
and versions with their marks, and an administrator's install (after the consent dialog) and uninstall."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from tests.support.plugin_builds import build_into, edit_index, isolated_imports, listed_version, plugin_source

Login = Callable[..., Awaitable[Account]]
DICE, NOTES = 'ui_dice', 'ui_notes'


@pytest.fixture(autouse=True)
def plugin_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An index with two plugins; dice has a current, a yanked, a revoked and an incompatible version."""
    sources, index_dir = tmp_path / 'sources', tmp_path / 'index'
    index = build_into(index_dir, plugin_source(sources, DICE, '0.9.0'), plugin_source(sources, DICE, '1.0.0'),
                       plugin_source(sources, DICE, '1.1.0'),
                       plugin_source(sources, DICE, '2.0.0', requires_app='>=99'),
                       plugin_source(sources, NOTES, '0.3.0', tags=['writing'], description='Keeps notes.',
                                     permissions=['chat.read', 'db.own_tables']))

    def mark(document: dict) -> None:
        (dice,) = [plugin for plugin in document['plugins'] if plugin['id'] == DICE]
        dice.update(tags=['fun'], description='Rolls dice in the chat.')
        listed_version(document, DICE, '1.1.0')['yanked'] = True
        document['revoked'].append({'id': DICE, 'versions': '<1.0', 'reason': 'wrong odds'})
    edit_index(index, mark)
    monkeypatch.setenv('TAVERN_PLUGIN_INDEX_URLS', str(index))
    with isolated_imports():
        yield


async def test_browse_search_and_filter_by_tag(user: User, login: Login) -> None:
    await login('admin')
    await user.open('/marketplace')
    await user.should_see(marker=f'market-plugin-{DICE}')
    await user.should_see(marker=f'market-plugin-{NOTES}')
    user.find(marker='marketplace-search').type(NOTES)
    await user.should_not_see(marker=f'market-plugin-{DICE}', retries=20)
    await user.should_see(marker=f'market-plugin-{NOTES}')
    user.find(marker='marketplace-search').clear()
    await user.should_see(marker=f'market-plugin-{DICE}', retries=20)
    (tag,) = user.find(marker='marketplace-tag').elements
    assert {'', 'fun', 'writing'} <= set(tag.options)
    tag.value = 'fun'
    await user.should_not_see(marker=f'market-plugin-{NOTES}')
    await user.should_see(marker=f'market-plugin-{DICE}')
    user.find(marker='marketplace-search').type('nothing like this')
    await user.should_see(marker='marketplace-empty', retries=20)
    await user.open(f'/marketplace?q={NOTES}')
    await user.should_see(marker=f'market-plugin-{NOTES}')
    await user.should_not_see(marker=f'market-plugin-{DICE}')


async def test_detail_shows_permissions_and_version_marks(user: User, login: Login) -> None:
    await login('admin')
    await user.open('/marketplace')
    user.find(kind=ui.link, content='Ui dice').click()
    await user.should_see(marker='market-detail-name')
    await user.should_see('Rolls dice in the chat.')
    await user.should_see('Read chat messages')
    await user.should_see('Install 1.0.0')
    with user:
        marks = {version: {badge.text for badge in ElementFilter(kind=ui.badge).within(
            marker=f'market-version-{version}')} for version in ('0.9.0', '1.0.0', '1.1.0', '2.0.0')}
    assert marks == {'0.9.0': {'Compatible', 'Revoked: wrong odds'}, '1.0.0': {'Compatible'},
                     '1.1.0': {'Compatible', 'Withdrawn (yanked)'}, '2.0.0': {'Needs app >=99, Python >=3.11'}}


async def test_an_admin_installs_after_consenting_and_uninstalls(user: User, login: Login) -> None:
    await login('admin')
    await user.open(f'/marketplace/{NOTES}')
    user.find(marker='market-install').click()
    await user.should_see(marker='consent-dialog')
    await user.should_see('Keep its own data in the database')
    user.find(marker='consent-cancel').click()
    await user.should_not_see(marker='consent-dialog')
    assert runtime.services().plugins.find(NOTES) is None
    user.find(marker='market-install').click()
    await user.should_see(marker='consent-dialog')
    user.find(marker='consent-install').click()
    await user.should_see('Installed: 0.3.0 (enabled)', retries=50)
    assert runtime.services().plugins.is_enabled(NOTES)
    row = await runtime.services().plugins.state.install_row(NOTES)
    assert sorted(row.consent['permissions']) == ['chat.read', 'db.own_tables']
    user.find(marker='market-uninstall').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='market-install', retries=50)
    assert runtime.services().plugins.find(NOTES).removed


async def test_a_pinned_yanked_version_can_be_installed(user: User, login: Login) -> None:
    await login('admin')
    await user.open(f'/marketplace/{DICE}')
    await user.should_not_see(marker='version-install-0.9.0')
    await user.should_not_see(marker='version-install-2.0.0')
    user.find(marker='version-install-1.1.0').click()
    await user.should_see(marker='consent-dialog', retries=20)
    user.find(marker='consent-install').click()
    await user.should_see('Installed: 1.1.0 (enabled)', retries=50)


async def test_a_user_can_browse_but_not_install(user: User, login: Login) -> None:
    await runtime.services().accounts.register('owner', 'correct horse battery')
    await login('bob')
    await user.open(f'/marketplace/{DICE}')
    await user.should_see(marker='market-admin-only')
    await user.should_not_see(marker='market-install')
    await user.should_not_see(marker='version-install')
