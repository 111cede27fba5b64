from collections.abc import Awaitable, Callable

from nicegui.testing import User

from app import runtime
from tests.ui.conftest import PASSWORD


async def test_first_registration_becomes_admin_and_lands_in_library(user: User) -> None:
    await user.open('/register')
    user.find(marker='handle').type('alice')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='password-repeat').type(PASSWORD)
    user.find(marker='register-submit').click()
    await user.should_see(marker='user-menu')
    accounts = await runtime.services().accounts.list_users()
    assert [(a.handle, a.role) for a in accounts] == [('alice', 'admin')]


async def test_wrong_password_shows_error_without_revealing_user(user: User, login: Callable[..., Awaitable]) -> None:
    await runtime.services().accounts.register('bob', PASSWORD)
    for handle in ('bob', 'nobody'):
        await user.open('/login')
        user.find(marker='handle').type(handle)
        user.find(marker='password').type('wrong password')
        user.find(marker='login-submit').click()
        await user.should_see('Wrong handle or password.')


async def test_protected_page_redirects_to_login(user: User) -> None:
    await user.open('/')
    await user.should_see(marker='login-submit')
