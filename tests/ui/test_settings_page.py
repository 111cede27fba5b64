from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing import User

from app import runtime
from tests.ui.conftest import PASSWORD

Login = Callable[..., Awaitable]


async def test_change_display_name(user: User, login: Login) -> None:
    alice = await login('alice')
    await user.open('/settings')
    user.find(marker='display-name').clear().type('Alice 小雨')
    user.find(marker='save-profile').click()
    await user.should_see('Saved.')
    assert (await runtime.services().accounts.get(alice.id)).display_name == 'Alice 小雨'


async def test_switch_language_to_chinese(user: User, login: Login) -> None:
    alice = await login('alice')
    await user.open('/settings')
    user.find(marker='language').elements.pop().set_value('zh-CN')
    await user.should_see('角色库')
    await user.should_see('个人 API 令牌')
    assert (await runtime.services().accounts.get(alice.id)).locale == 'zh-CN'


async def test_theme_is_stored(user: User, login: Login) -> None:
    alice = await login('alice')
    await user.open('/settings')
    user.find(marker='theme').elements.pop().set_value('dark')
    await user.should_see('Saved.')
    assert (await runtime.services().accounts.get(alice.id)).theme == 'dark'
    await user.open('/settings')
    assert user.find(ui.dark_mode).elements.pop().value is True


async def test_change_password(user: User, login: Login) -> None:
    await login('alice')
    await user.open('/settings')
    user.find(marker='old-password').type('not my password')
    user.find(marker='new-password').type('a new long password')
    user.find(marker='new-password-repeat').type('a new long password')
    user.find(marker='change-password').click()
    await user.should_see('Wrong handle or password.', retries=50)
    user.find(marker='old-password').clear().type(PASSWORD)
    user.find(marker='change-password').click()
    await user.should_see(marker='login-submit', retries=50)
    assert (await runtime.services().accounts.authenticate('alice', 'a new long password')).handle == 'alice'


async def test_create_use_and_revoke_an_api_token(user: User, login: Login) -> None:
    alice = await login('alice')
    await user.open('/settings')
    await user.should_see('No tokens yet.')
    user.find(marker='token-name').type('my script')
    user.find(marker='create-token').click()
    await user.should_see(marker='new-token')
    token = user.find(marker='new-token').elements.pop().value
    assert token.startswith('tvn_')
    assert (await runtime.services().sessions.user_for_token(token)).id == alice.id
    response = await user.http_client.get('/api/v1/me', headers={'Authorization': f'Bearer {token}'})
    assert response.json()['handle'] == 'alice'
    user.find(marker='token-done').click()
    await user.should_see(marker='token-my script')
    user.find(marker='revoke-token').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see('No tokens yet.')
    assert await runtime.services().sessions.user_for_token(token) is None
