"""The /plugins page: wheel upload, permissions, settings form and settings slot, global and personal switches,
recorded errors, and a plugin's own page under /p/<id>/."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from tests.support.plugin_wheels import build_wheel, manifest_for, unique_id
from tests.ui.conftest import PASSWORD

Login = Callable[..., Awaitable[Account]]

PLUGIN = '''
from pydantic import BaseModel, Field
from plugins.sdk import hookimpl, secret


class Settings(BaseModel):
    greeting: str = Field(default='hello', description='Said first')
    api_key: str = secret()
    limit: int = Field(default=3, ge=1)


@hookimpl
def ui_slot(ctx, slot, target):
    if slot == f'settings.plugins.{ctx.plugin_id}':
        def build(target):
            from nicegui import ui
            ui.label(f'Extra panel of {ctx.plugin_id}')
        return build


@hookimpl
def register_pages(ctx):
    async def home(page):
        from nicegui import ui
        ui.label(f'{ctx.settings().greeting}, {page.user.handle}')
    return {'/': home}


@hookimpl
def stream_delta(ctx, text):
    raise RuntimeError('stream broke')
'''


def _wheel(plugin_id: str, **manifest: object) -> bytes:
    fields = {'permissions': ['network', 'chat.read'], 'user_toggleable': True, **manifest}
    return build_wheel(manifest_for(plugin_id, **fields), {'plugin.py': PLUGIN})


async def _upload(user: User, wheel: bytes, *, consent: bool = True) -> None:
    """Upload the wheel and consent to its permissions in the dialog that asks for them (a wheel refused on sight
    never gets that far)."""
    (upload,) = user.find(marker='plugin-upload').elements
    assert isinstance(upload, ui.upload)
    with user:
        uploading = asyncio.create_task(
            upload.handle_uploads([ui.upload.SmallFileUpload('plugin.whl', 'application/octet-stream', wheel)]))
    if consent:
        await user.should_see(marker='consent-dialog')
        user.find(marker='consent-install').click()
    await uploading


async def test_admin_uploads_configures_and_disables_a_plugin(user: User, login: Login) -> None:
    await login('admin')
    await user.open('/plugins')
    await user.should_see(marker='plugins-empty')
    plugin_id = unique_id()
    await _upload(user, _wheel(plugin_id))
    await user.should_see(f'Test plugin {plugin_id}', retries=50)
    await user.should_see('Connect to other servers on the internet')
    await user.should_see('Read chat messages')
    await user.should_see(f'Extra panel of {plugin_id}')
    user.find(marker=f'plugin-settings-{plugin_id}-open').click()
    (limit,) = user.find(marker=f'plugin-settings-{plugin_id}-limit').elements
    limit.set_value(0)
    user.find(marker=f'plugin-settings-{plugin_id}-save').click()
    await user.should_see('Some settings are not valid; see the marked fields.')
    assert limit.props['error'] is True and 'greater than or equal to 1' in limit.props['error-message']
    limit.set_value(5)
    user.find(marker=f'plugin-settings-{plugin_id}-greeting').clear().type('bonjour')
    user.find(marker=f'plugin-settings-{plugin_id}-save').click()
    await user.should_see('Settings saved.')
    manager = runtime.services().plugins
    assert (manager.get(plugin_id).context.settings().greeting, manager.get(plugin_id).context.settings().limit) \
        == ('bonjour', 5)
    assert 'error' not in limit.props
    user.find(marker=f'plugin-enabled-{plugin_id}').elements.pop().set_value(False)
    await user.should_see('disabled')
    assert not manager.is_enabled(plugin_id)


async def test_a_refused_wheel_shows_why(user: User, login: Login) -> None:
    await login('admin')
    await user.open('/plugins')
    await _upload(user, build_wheel(manifest_for(unique_id()), {'plugin.py': ''}, tag='cp311-cp311-win_amd64'),
                  consent=False)
    await user.should_see('Only pure-Python plugins (py3-none-any wheels without compiled files) can be installed',
                          retries=50)
    await user.should_see(marker='plugins-empty')


async def test_a_failing_hook_shows_its_error_to_the_admin(user: User, login: Login) -> None:
    await login('admin')
    plugin_id = unique_id()
    manager = runtime.services().plugins
    await manager.install_wheel(_wheel(plugin_id), source='upload')
    await manager.pipe('stream_delta', 'abc', chat=None)
    await user.open('/plugins')
    await user.should_see('Recent errors (1)')
    await user.should_see('stream_delta · RuntimeError: stream broke')


async def test_a_user_switches_a_plugin_off_for_themselves_only(user: User, login: Login) -> None:
    services = runtime.services()
    admin = await services.accounts.register('admin', PASSWORD)
    plugin_id = unique_id()
    await services.plugins.install_wheel(_wheel(plugin_id), source='upload', actor=admin)
    bob = await login('bob')
    await user.open('/plugins')
    await user.should_see(f'Test plugin {plugin_id}')
    await user.should_not_see(marker=f'plugin-enabled-{plugin_id}')
    await user.should_not_see(marker='plugin-upload')
    user.find(marker=f'plugin-mine-{plugin_id}').elements.pop().set_value(False)
    await user.should_not_see(f'Extra panel of {plugin_id}')
    assert not services.plugins.is_enabled(plugin_id, bob) and services.plugins.is_enabled(plugin_id, admin)


async def test_a_plugin_page_is_served_while_the_plugin_is_on(user: User, login: Login) -> None:
    await login('admin')
    plugin_id = unique_id()
    manager = runtime.services().plugins
    await manager.install_wheel(_wheel(plugin_id), source='upload')
    await user.open(f'/p/{plugin_id}/')
    await user.should_see('hello, admin')
    await manager.set_enabled(plugin_id, False)
    assert (await user.http_client.get(f'/p/{plugin_id}/')).status_code == 404
