"""Accounts in a real browser against the real server on SQLite: register, log out, log in, language, phone layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .actions import PASSWORD, fill_login_form, log_in, log_out, register, user_menu

pytestmark = pytest.mark.e2e


def test_first_account_is_admin_and_can_log_out_and_in(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    expect(page.get_by_role('button', name='Admin', exact=True)).to_be_visible()
    me = page.request.get(f'{live_server}/api/v1/me')
    assert me.ok
    assert (me.json()['handle'], me.json()['role']) == ('alice', 'admin')

    log_out(page, live_server, 'alice')
    assert page.request.get(f'{live_server}/api/v1/me').status == 401
    page.goto(f'{live_server}/')
    expect(page).to_have_url(f'{live_server}/login?next=/')

    log_in(page, live_server, 'alice')
    expect(page).to_have_url(f'{live_server}/')


def test_second_account_is_not_admin(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    log_out(page, live_server, 'alice')
    register(page, live_server, 'bob')
    expect(page.get_by_role('button', name='Library', exact=True)).to_be_visible()
    expect(page.get_by_role('button', name='Admin', exact=True)).to_have_count(0)


def test_wrong_password_shows_the_error(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    log_out(page, live_server, 'alice')
    fill_login_form(page, 'alice', PASSWORD + ' typo')
    expect(page.get_by_text('Wrong handle or password.')).to_be_visible()
    expect(page).to_have_url(f'{live_server}/login')
    expect(user_menu(page, 'alice')).to_have_count(0)


def test_switching_to_chinese_translates_the_interface(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    page.get_by_role('button', name='中文').click()
    expect(page.get_by_role('button', name='角色库', exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role('button', name='角色库', exact=True)).to_be_visible()

    user_menu(page, 'alice').click()
    page.get_by_text('退出登录', exact=True).click()
    expect(page).to_have_url(f'{live_server}/login')
    expect(page.get_by_role('button', name='登录')).to_be_visible()
    expect(page.get_by_label('用户名')).to_be_visible()
    page.get_by_role('button', name='EN').click()
    expect(page.get_by_role('button', name='Log in')).to_be_visible()


@pytest.mark.viewport(375, 812)
def test_phone_layout_has_a_working_drawer_and_no_horizontal_overflow(page: Page, live_server: str) -> None:
    page.goto(f'{live_server}/register')
    assert _page_width(page) <= 375
    register(page, live_server, 'alice')
    library = page.get_by_role('button', name='Library', exact=True)
    expect(library).to_be_hidden()
    assert _page_width(page) <= 375

    page.get_by_role('button', name='Menu', exact=True).click()
    expect(library).to_be_visible()
    expect(page.get_by_role('button', name='Admin', exact=True)).to_be_visible()
    assert _page_width(page) <= 375
    library.click()
    expect(page).to_have_url(f'{live_server}/')
    expect(user_menu(page, 'alice')).to_be_visible()


def _page_width(page: Page) -> int:
    return page.evaluate('document.documentElement.scrollWidth')
