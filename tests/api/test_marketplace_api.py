"""`/api/v1/marketplace`: browse (any signed-in user), install, update and install from a URL (administrators, with
consent), with refusals as JSON in the caller's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.services.container import Services
from tests.support.plugin_builds import build_into, edit_index, isolated_imports, plugin_source
from tests.support.plugin_wheels import unique_id

Login = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(autouse=True)
def clean_imports() -> Iterator[None]:
    with isolated_imports():
        yield


@pytest.fixture
def index_dir(tmp_path: Path, settings: Settings) -> Path:
    folder = tmp_path / 'index'
    settings.plugin_index_urls = [str(folder / 'index.json'), 'https://127.0.0.1:9/unreachable/index.json']
    return folder


@pytest.fixture
async def loaded(services: Services) -> None:
    await services.plugins.load_discovered()


def _publish(tmp_path: Path, index_dir: Path, plugin_id: str, version: str = '1.0.0', **manifest: object) -> Path:
    return build_into(index_dir, plugin_source(tmp_path / 'sources', plugin_id, version, **manifest))


async def test_anyone_signed_in_can_browse_search_and_filter(client: httpx.AsyncClient, login: Login,
                                                             tmp_path: Path, index_dir: Path, loaded: None) -> None:
    assert (await client.get('/api/v1/marketplace')).status_code == 401
    dice, weather = unique_id('dice'), unique_id('weather')
    _publish(tmp_path, index_dir, dice, tags=['fun', 'chat'], description='Rolls dice.')
    _publish(tmp_path, index_dir, weather, tags=['tools'], description='Shows the weather.')
    await login('admin')
    user = await login('bob')
    listing = (await client.get('/api/v1/marketplace', headers=user)).json()
    assert [plugin['id'] for plugin in listing['plugins']] == [dice, weather]
    assert listing['tags'] == ['chat', 'fun', 'tools']
    assert 'https://127.0.0.1:9/unreachable/index.json' in listing['unreadable_indexes']
    searched = (await client.get('/api/v1/marketplace', params={'q': 'WEATHER'}, headers=user)).json()
    assert [plugin['id'] for plugin in searched['plugins']] == [weather]
    tagged = (await client.get('/api/v1/marketplace', params={'tag': 'fun'}, headers=user)).json()
    assert [plugin['id'] for plugin in tagged['plugins']] == [dice]
    detail = (await client.get(f'/api/v1/marketplace/{dice}', headers=user)).json()
    assert detail['versions'][0] | {'released_at': None} == {
        'version': '1.0.0', 'requires_app': '>=0.1', 'requires_python': '>=3.11', 'depends_on': {},
        'permissions': ['chat.read'], 'size': detail['versions'][0]['size'], 'released_at': None, 'yanked': False,
        'compatible': True, 'revoked': None, 'installable': True}
    missing = await client.get('/api/v1/marketplace/no_such_plugin', headers=user)
    assert (missing.status_code, missing.json()['code']) == (404, 'error.plugins.not_in_index')


async def test_only_an_admin_with_consent_installs(client: httpx.AsyncClient, login: Login, tmp_path: Path,
                                                   index_dir: Path, loaded: None) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, permissions=['chat.read', 'llm.call'])
    admin = await login('admin')
    user = await login('bob')
    body = {'id': plugin_id, 'consent': ['chat.read', 'llm.call']}
    assert (await client.post('/api/v1/marketplace/install', json=body, headers=user)).status_code == 403
    refused = await client.post('/api/v1/marketplace/install', json={'id': plugin_id, 'consent': ['chat.read']},
                                headers=admin | {'Accept-Language': 'zh-CN'})
    assert (refused.status_code, refused.json()['code']) == (422, 'error.plugins.consent_required')
    assert refused.json()['detail'] == f'安装“{plugin_id}”需要你同意以下权限：llm.call。'
    installed = await client.post('/api/v1/marketplace/install', json=body, headers=admin)
    assert installed.status_code == 201
    assert installed.json() == {'id': plugin_id, 'name': plugin_id.replace('_', ' ').capitalize(),
                                'version': '1.0.0', 'status': 'enabled', 'load_error': None,
                                'restart_required': False}
    listed = (await client.get(f'/api/v1/marketplace/{plugin_id}', headers=user)).json()
    assert (listed['installed_version'], listed['installed_status']) == ('1.0.0', 'enabled')


async def test_refusals_name_the_problem(client: httpx.AsyncClient, login: Login, tmp_path: Path, index_dir: Path,
                                         loaded: None) -> None:
    revoked, needs = unique_id('revoked'), unique_id('needs')
    index = _publish(tmp_path, index_dir, revoked)
    _publish(tmp_path, index_dir, needs, depends_on={'absent_plugin': '>=1'})
    edit_index(index, lambda document: document['revoked'].append({'id': revoked, 'reason': 'malware'}))
    admin = await login('admin')
    first = await client.post('/api/v1/marketplace/install', json={'id': revoked, 'consent': ['chat.read']},
                              headers=admin)
    assert (first.status_code, first.json()['code']) == (422, 'error.plugins.revoked')
    assert 'malware' in first.json()['detail']
    second = await client.post('/api/v1/marketplace/install', json={'id': needs, 'consent': ['chat.read']},
                               headers=admin)
    assert (second.status_code, second.json()['code']) == (422, 'error.plugins.missing_dependency')
    assert 'absent_plugin' in second.json()['detail']


async def test_update_and_install_from_a_url(client: httpx.AsyncClient, login: Login, tmp_path: Path,
                                             index_dir: Path, loaded: None) -> None:
    plugin_id = unique_id()
    _publish(tmp_path, index_dir, plugin_id, '1.0.0')
    admin = await login('admin')
    body = {'id': plugin_id, 'consent': ['chat.read']}
    assert (await client.post('/api/v1/marketplace/install', json=body, headers=admin)).status_code == 201
    current = await client.post('/api/v1/marketplace/update', json=body, headers=admin)
    assert (current.status_code, current.json()['code']) == (409, 'error.plugins.up_to_date')
    _publish(tmp_path, index_dir, plugin_id, '1.1.0')
    updated = await client.post('/api/v1/marketplace/update', json=body, headers=admin)
    assert (updated.status_code, updated.json()['version']) == (200, '1.1.0')
    other = unique_id('other')
    _publish(tmp_path, tmp_path / 'elsewhere', other)
    (wheel,) = (tmp_path / 'elsewhere').glob('*.whl')
    from_url = await client.post('/api/v1/marketplace/install-url', headers=admin,
                                 json={'url': wheel.as_uri(), 'consent': ['chat.read']})
    assert (from_url.status_code, from_url.json()['id']) == (201, other)
