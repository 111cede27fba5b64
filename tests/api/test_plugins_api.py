"""`/api/v1/plugins`: upload, listing per viewer, global and personal switches, settings with secrets, uninstall."""

from collections.abc import Awaitable, Callable

import httpx

from app.services.container import Services
from tests.support.plugin_wheels import build_wheel, manifest_for, unique_id

Login = Callable[..., Awaitable[dict[str, str]]]

PLUGIN = '''
from pydantic import BaseModel, Field
from plugins.sdk import hookimpl, secret


class Settings(BaseModel):
    endpoint: str = 'https://translate.example'
    api_key: str = secret()
    limit: int = Field(default=100, ge=1)


class UserSettings(BaseModel):
    target: str = 'en'


@hookimpl
def stream_delta(ctx, text):
    raise RuntimeError('cannot stream ' + text)
'''


def _wheel(plugin_id: str, **manifest: object) -> bytes:
    fields = {'permissions': ['network', 'chat.read'], 'user_toggleable': True, **manifest}
    return build_wheel(manifest_for(plugin_id, **fields), {'plugin.py': PLUGIN})


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], wheel: bytes, consent: str = 'network,chat.read',
                  **extra: str) -> httpx.Response:
    return await client.post('/api/v1/plugins/upload', headers={**headers, **extra}, data={'consent': consent},
                             files={'file': ('plugin-1.0.0-py3-none-any.whl', wheel, 'application/octet-stream')})


async def test_admin_uploads_a_wheel_and_sees_it_with_its_permissions(client: httpx.AsyncClient,
                                                                      login: Login) -> None:
    admin = await login('admin')
    plugin_id = unique_id()
    response = await _upload(client, admin, _wheel(plugin_id))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body['id'], body['status'], body['source']) == (plugin_id, 'enabled', 'site')
    assert body['permissions'] == ['network', 'chat.read'] and body['has_settings'] is True
    assert body['consent']['permissions'] == ['chat.read', 'network']
    listed = (await client.get('/api/v1/plugins', headers=admin)).json()
    assert [item['id'] for item in listed] == [plugin_id]


async def test_refusals_answer_422_with_code_and_message_in_the_callers_language(client: httpx.AsyncClient,
                                                                                 login: Login) -> None:
    admin = await login('admin')
    wheel = _wheel(unique_id(), requires_app='>=99')
    response = await _upload(client, admin, wheel)
    assert response.status_code == 422
    assert response.json()['code'] == 'error.plugins.incompatible_app'
    assert 'needs TavernAI Plus >=99; this server runs' in response.json()['detail']
    chinese = await _upload(client, admin, wheel, **{'Accept-Language': 'zh-CN'})
    assert '需要 TavernAI Plus >=99' in chinese.json()['detail']
    missing = await client.post('/api/v1/plugins/upload', headers=admin, data={'consent': 'network'})
    assert missing.status_code == 422 and missing.json()['code'] == 'error.plugins.missing_wheel'
    unconsented = await _upload(client, admin, _wheel(unique_id()), consent='network')
    assert unconsented.status_code == 422 and unconsented.json()['code'] == 'error.plugins.consent_required'
    assert 'chat.read' in unconsented.json()['detail']
    assert (await client.get('/api/v1/plugins', headers=admin)).json() == []


async def test_only_admins_install_switch_and_uninstall(client: httpx.AsyncClient, login: Login) -> None:
    admin = await login('admin')
    user = await login('bob')
    plugin_id = unique_id()
    assert (await _upload(client, user, _wheel(plugin_id))).status_code == 403
    assert (await _upload(client, admin, _wheel(plugin_id))).status_code == 201
    assert (await client.patch(f'/api/v1/plugins/{plugin_id}', headers=user, json={'enabled': False})).status_code \
        == 403
    assert (await client.delete(f'/api/v1/plugins/{plugin_id}', headers=user)).status_code == 403
    assert (await client.get(f'/api/v1/plugins/{plugin_id}/settings', headers=user)).status_code == 403


async def test_users_see_only_plugins_that_are_on_and_never_their_errors(client: httpx.AsyncClient, login: Login,
                                                                         services: Services) -> None:
    admin = await login('admin')
    user = await login('bob')
    plugin_id = unique_id()
    await _upload(client, admin, _wheel(plugin_id))
    await services.plugins.pipe('stream_delta', 'abc', chat=None)
    (mine,) = (await client.get('/api/v1/plugins', headers=user)).json()
    assert mine['enabled_for_me'] is True and mine['last_errors'] == [] and mine['load_error'] is None
    (full,) = (await client.get('/api/v1/plugins', headers=admin)).json()
    assert [(error['hook'], error['message']) for error in full['last_errors']] == \
        [('stream_delta', 'RuntimeError: cannot stream abc')]
    switched = await client.patch(f'/api/v1/plugins/{plugin_id}', headers=admin, json={'enabled': False})
    assert switched.json()['status'] == 'disabled'
    assert (await client.get('/api/v1/plugins', headers=user)).json() == []
    assert (await client.get(f'/api/v1/plugins/{plugin_id}/user-settings', headers=user)).status_code == 404


async def test_a_user_switches_a_toggleable_plugin_for_themselves(client: httpx.AsyncClient, login: Login,
                                                                  services: Services) -> None:
    admin = await login('admin')
    user = await login('bob')
    toggleable, fixed = unique_id(), unique_id()
    await _upload(client, admin, _wheel(toggleable))
    await _upload(client, admin, _wheel(fixed, user_toggleable=False))
    response = await client.put(f'/api/v1/plugins/{toggleable}/me', headers=user, json={'enabled': False})
    assert response.status_code == 200 and response.json()['enabled_for_me'] is False
    bob = await services.accounts.authenticate('bob', 'correct horse battery')
    assert not services.plugins.is_enabled(toggleable, bob) and services.plugins.is_enabled(toggleable)
    refused = await client.put(f'/api/v1/plugins/{fixed}/me', headers=user, json={'enabled': False})
    assert refused.status_code == 409 and refused.json()['code'] == 'error.plugins.not_user_toggleable'


async def test_admin_settings_never_send_a_secret_back(client: httpx.AsyncClient, login: Login,
                                                      services: Services) -> None:
    admin = await login('admin')
    plugin_id = unique_id()
    await _upload(client, admin, _wheel(plugin_id))
    document = (await client.get(f'/api/v1/plugins/{plugin_id}/settings', headers=admin)).json()
    assert document['values'] == {'endpoint': 'https://translate.example', 'api_key': '', 'limit': 100}
    assert document['json_schema']['properties']['api_key']['secret'] is True
    saved = await client.put(f'/api/v1/plugins/{plugin_id}/settings', headers=admin,
                             json={'endpoint': 'https://t.example', 'api_key': 'sk-123', 'limit': 5})
    assert saved.status_code == 200 and saved.json()['values']['api_key'] == '********'
    again = await client.put(f'/api/v1/plugins/{plugin_id}/settings', headers=admin,
                             json={**saved.json()['values'], 'limit': 7})
    assert again.json()['values'] == {'endpoint': 'https://t.example', 'api_key': '********', 'limit': 7}
    assert services.plugins.get(plugin_id).context.settings().api_key == 'sk-123'
    invalid = await client.put(f'/api/v1/plugins/{plugin_id}/settings', headers=admin, json={'limit': 0})
    assert invalid.status_code == 422 and invalid.json()['code'] == 'error.plugins.invalid_settings'
    assert invalid.json()['detail'].startswith('limit: ')


async def test_user_settings_belong_to_each_user(client: httpx.AsyncClient, login: Login) -> None:
    admin = await login('admin')
    user = await login('bob')
    plugin_id = unique_id()
    await _upload(client, admin, _wheel(plugin_id))
    saved = await client.put(f'/api/v1/plugins/{plugin_id}/user-settings', headers=user, json={'target': 'zh-CN'})
    assert saved.status_code == 200 and saved.json()['values'] == {'target': 'zh-CN'}
    assert (await client.get(f'/api/v1/plugins/{plugin_id}/user-settings', headers=user)).json()['values'] == \
        {'target': 'zh-CN'}
    assert (await client.get(f'/api/v1/plugins/{plugin_id}/user-settings', headers=admin)).json()['values'] == \
        {'target': 'en'}


async def test_uninstall_asks_for_a_restart_and_hides_the_plugin_from_users(client: httpx.AsyncClient,
                                                                            login: Login) -> None:
    admin = await login('admin')
    user = await login('bob')
    plugin_id = unique_id()
    await _upload(client, admin, _wheel(plugin_id))
    response = await client.delete(f'/api/v1/plugins/{plugin_id}', headers=admin)
    assert response.status_code == 200 and response.json() == {'restart_required': True}
    (listed,) = (await client.get('/api/v1/plugins', headers=admin)).json()
    assert (listed['status'], listed['restart_required'], listed['has_settings']) == ('restart_required', True, False)
    assert (await client.get('/api/v1/plugins', headers=user)).json() == []
    assert (await client.delete('/api/v1/plugins/no_such_plugin', headers=admin)).status_code == 404
