"""What a user does in the browser again and again: register, log in, log out, all by visible labels."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

PASSWORD = 'correct horse battery'


def register(page: Page, base_url: str, handle: str, password: str = PASSWORD) -> None:
    """Create an account on the registration page and wait until the library greets the new user."""
    page.goto(f'{base_url}/register')
    page.get_by_label('Handle').fill(handle)
    page.get_by_label('Password', exact=True).fill(password)
    page.get_by_label('Repeat the password').fill(password)
    page.get_by_role('button', name='Create account').click()
    expect(page).to_have_url(f'{base_url}/')
    expect(user_menu(page, handle)).to_be_visible()


def log_in(page: Page, base_url: str, handle: str, password: str = PASSWORD) -> None:
    page.goto(f'{base_url}/login')
    fill_login_form(page, handle, password)
    expect(user_menu(page, handle)).to_be_visible()


def fill_login_form(page: Page, handle: str, password: str) -> None:
    page.get_by_label('Handle').fill(handle)
    page.get_by_label('Password', exact=True).fill(password)
    page.get_by_role('button', name='Log in').click()


def log_out(page: Page, base_url: str, handle: str) -> None:
    user_menu(page, handle).click()
    page.get_by_text('Log out', exact=True).click()
    expect(page).to_have_url(f'{base_url}/login')


def user_menu(page: Page, handle: str) -> Locator:
    """The account button in the header, labelled with the signed-in user's handle."""
    return page.get_by_role('button', name=handle, exact=True)
