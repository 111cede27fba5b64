from collections.abc import Awaitable, Callable

from nicegui.testing import User

from app import runtime
from tests.ui.conftest import PASSWORD

Login = Callable[..., Awaitable]


async def test_non_admin_sees_the_forbidden_notice(user: User, login: Login) -> None:
    await runtime.services().accounts.register('root', PASSWORD)
    await login('bob')
    response = await user.http_client.get('/admin')
    assert response.status_code == 403
    assert 'Only administrators can do this.' in response.text and 'root' not in response.text


async def test_admin_lists_and_searches_users(user: User, login: Login) -> None:
    await login('alice', role='admin')
    for handle in ('bob', 'carol'):
        await runtime.services().accounts.register(handle, PASSWORD)
    await user.open('/admin')
    await user.should_see('Showing 3 of 3 users')
    await user.should_see(marker='user-carol')
    user.find(marker='user-search').type('bo')
    await user.should_see('Showing 1 of 1 users')
    await user.should_not_see(marker='user-carol')


async def test_disable_then_enable_a_user(user: User, login: Login) -> None:
    await login('alice', role='admin')
    accounts = runtime.services().accounts
    bob = await accounts.register('bob', PASSWORD)
    bob_session = await runtime.services().sessions.create_session(bob)
    await user.open('/admin')
    user.find(marker='toggle-disabled-bob').click()
    await user.should_see('Disabled')
    assert (await accounts.get(bob.id)).disabled
    assert await runtime.services().sessions.user_for_token(bob_session) is None
    user.find(marker='toggle-disabled-bob').click()
    await user.should_not_see('Disabled')
    assert (await accounts.authenticate('bob', PASSWORD)).id == bob.id


async def test_admin_cannot_disable_self(user: User, login: Login) -> None:
    alice = await login('alice', role='admin')
    await user.open('/admin')
    user.find(marker='toggle-disabled-alice').click()
    await user.should_see('You cannot disable or demote your own account.')
    assert not (await runtime.services().accounts.get(alice.id)).disabled


async def test_promote_and_demote(user: User, login: Login) -> None:
    await login('alice', role='admin')
    bob = await runtime.services().accounts.register('bob', PASSWORD)
    await user.open('/admin')
    user.find(marker='toggle-role-bob').click()
    await user.should_see('Saved.')
    assert (await runtime.services().accounts.get(bob.id)).is_admin
    assert len(user.find('Make user').elements) == 2
    user.find(marker='toggle-role-bob').click()
    await user.should_see('Make admin')
    assert not (await runtime.services().accounts.get(bob.id)).is_admin


async def test_reset_password(user: User, login: Login) -> None:
    await login('alice', role='admin')
    await runtime.services().accounts.register('bob', PASSWORD)
    await user.open('/admin')
    user.find(marker='reset-password-bob').click()
    user.find(marker='new-password').type('another password')
    user.find(marker='new-password-repeat').type('different password')
    user.find(marker='dialog-submit').click()
    await user.should_see('The two passwords differ.')
    user.find(marker='new-password-repeat').clear().type('another password')
    user.find(marker='dialog-submit').click()
    await user.should_see('Saved.', retries=50)
    assert (await runtime.services().accounts.authenticate('bob', 'another password')).handle == 'bob'


async def test_create_user_and_close_registration(user: User, login: Login) -> None:
    await login('alice', role='admin')
    await user.open('/admin')
    user.find(marker='create-user').click()
    user.find(marker='new-handle').type('dave')
    user.find(marker='new-password').type(PASSWORD)
    user.find(marker='new-password-repeat').type(PASSWORD)
    user.find(marker='dialog-submit').click()
    await user.should_see(marker='user-dave', retries=50)
    user.find(marker='registration-switch').click()
    await user.should_see('Registration is now closed.')
    assert not await runtime.services().instance.registration_open()
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit')
    await user.open('/register')
    await user.should_see(marker='registration-closed')
    await user.should_not_see(marker='register-submit')
