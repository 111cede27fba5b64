"""Admin and settings in a real browser: disable an account, reset a password, use an API token, keep dark mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .actions import fill_login_form, log_in, log_out, register

pytestmark = pytest.mark.e2e


def test_admin_disables_and_re_enables_an_account_and_resets_its_password(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    log_out(page, live_server, 'alice')
    register(page, live_server, 'bob')
    log_out(page, live_server, 'bob')

    log_in(page, live_server, 'alice')
    page.get_by_role('button', name='Admin', exact=True).click()
    expect(page.get_by_text('Showing 2 of 2 users')).to_be_visible()
    bob_row = page.locator('.q-card', has_text='@bob')
    bob_row.get_by_role('button', name='Disable').click()
    expect(bob_row.get_by_text('Disabled', exact=True)).to_be_visible()
    bob_row.get_by_role('button', name='Reset password').click()
    page.get_by_label('New password').fill('bobs new password')
    page.get_by_label('Repeat the password').fill('bobs new password')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Saved.').first).to_be_visible()
    log_out(page, live_server, 'alice')

    fill_login_form(page, 'bob', 'bobs new password')
    expect(page.get_by_text('This account is disabled. Ask an administrator to enable it.')).to_be_visible()

    log_in(page, live_server, 'alice')
    page.goto(f'{live_server}/admin')
    page.locator('.q-card', has_text='@bob').get_by_role('button', name='Enable').click()
    expect(page.locator('.q-card', has_text='@bob').get_by_role('button', name='Disable')).to_be_visible()
    log_out(page, live_server, 'alice')
    log_in(page, live_server, 'bob', 'bobs new password')


def test_api_token_from_settings_works_and_dark_mode_persists(page: Page, live_server: str) -> None:
    register(page, live_server, 'alice')
    page.goto(f'{live_server}/settings')
    page.get_by_label('Token name').fill('cli')
    page.get_by_role('button', name='Create token').click()
    token = page.get_by_role('dialog').locator('input').input_value()
    assert token.startswith('tvn_')
    page.get_by_role('button', name='Done').click()

    api = page.context.browser.new_context()
    response = api.request.get(f'{live_server}/api/v1/me', headers={'Authorization': f'Bearer {token}'})
    assert response.ok and response.json()['handle'] == 'alice'

    page.get_by_role('button', name='Dark', exact=True).click()
    expect(page.locator('body.body--dark')).to_have_count(1)
    page.reload()
    expect(page.locator('body.body--dark')).to_have_count(1)

    page.get_by_role('button', name='Revoke').click()
    page.get_by_role('dialog').get_by_role('button', name='Revoke').click()
    expect(page.get_by_text('No tokens yet.')).to_be_visible()
    assert api.request.get(f'{live_server}/api/v1/me', headers={'Authorization': f'Bearer {token}'}).status == 401
    api.close()
