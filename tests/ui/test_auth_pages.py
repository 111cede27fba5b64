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
    await user.should_see(marker='user-menu', retries=50)
    accounts = await runtime.services().accounts.list_users()
    assert [(a.handle, a.role) for a in accounts] == [('alice', 'admin')]


async def test_wrong_password_shows_error_without_revealing_user(user: User, login: Callable[..., Awaitable]) -> None:
    await runtime.services().accounts.register('bob', PASSWORD)
    for handle in ('bob', 'nobody'):
        await user.open('/login')
        user.find(marker='handle').type(handle)
        user.find(marker='password').type('wrong password')
        user.find(marker='login-submit').click()
        await user.should_see('Wrong handle or password.', retries=50)


async def test_protected_page_redirects_to_login(user: User) -> None:
    await user.open('/')
    await user.should_see(marker='login-submit')


async def test_duplicate_handle_and_mismatched_passwords_are_explained(user: User) -> None:
    await runtime.services().accounts.register('alice', PASSWORD)
    await user.open('/register')
    user.find(marker='handle').type('alice')
    user.find(marker='password').type(PASSWORD)
    user.find(marker='password-repeat').type('something else')
    user.find(marker='register-submit').click()
    await user.should_see('The two passwords differ.')
    user.find(marker='password-repeat').clear().type(PASSWORD)
    user.find(marker='register-submit').click()
    await user.should_see('The handle "alice" is already taken. Choose another one.', retries=50)


async def test_logout_returns_to_login_and_protects_pages_again(user: User, login: Callable[..., Awaitable]) -> None:
    await login('alice')
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit')
    await user.open('/')
    await user.should_see(marker='login-submit')


async def test_language_switch_on_the_login_page(user: User) -> None:
    await user.open('/login')
    user.find(marker='locale-switch').click()
    await user.should_see('用户名')
    await user.should_see('登录')


async def test_a_disabled_user_is_sent_to_login_on_the_next_page_load(user: User,
                                                                      login: Callable[..., Awaitable]) -> None:
    admin = await runtime.services().accounts.register('root', PASSWORD)
    bob = await login('bob')
    await runtime.services().accounts.set_disabled(admin, bob.id, True)
    await user.open('/')
    await user.should_see(marker='login-submit')
