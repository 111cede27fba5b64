"""A first-party plugin in a real browser: the administrator installs the dice roller from the marketplace (the
local index built from the project's `plugins/` folder), uses it in a chat (toolbar menu and `/roll`), switches it
off for herself only, and another user still has it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .actions import register

pytestmark = pytest.mark.e2e


def _install_dice_roller(page: Page, base: str) -> None:
    page.goto(f'{base}/marketplace')
    page.get_by_label('Search plugins').fill('dice')
    page.get_by_role('link', name='Dice roller').click()
    page.get_by_role('button', name='Install 1.0.0').click()
    dialog = page.get_by_role('dialog')
    expect(dialog.get_by_text('Install Dice roller 1.0.0?')).to_be_visible()
    dialog.get_by_role('button', name='Install', exact=True).click()
    expect(page.get_by_text('Installed: 1.0.0 (enabled)')).to_be_visible()


def _open_chat(page: Page, base: str) -> None:
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Roll for it.'})
    page.goto(f'{base}/characters/{character.json()["id"]}/chat')
    expect(page.get_by_text('Roll for it.')).to_be_visible()


def test_install_use_and_switch_off_for_one_user(page: Page, browser: Browser, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    _install_dice_roller(page, base)

    _open_chat(page, base)
    page.get_by_placeholder('Write a message').fill('/roll 2d6+1 to open the gate')
    page.keyboard.press('Enter')
    expect(page.get_by_text('🎲 alice rolls 2d6+1 (to open the gate):')).to_be_visible()
    page.get_by_role('button', name='Roll dice').click()
    page.locator('.q-menu').get_by_text('d20', exact=True).click()
    expect(page.get_by_text('🎲 alice rolls d20:')).to_be_visible()

    page.goto(f'{base}/plugins')
    card = page.locator('.q-card', has_text='Dice roller')
    mine = card.get_by_role('switch', name='On for me')
    expect(mine).to_be_checked()
    mine.click()
    expect(card.get_by_role('switch', name='On for me')).not_to_be_checked()
    expect(card.get_by_role('switch', name='On for everyone')).to_be_checked()
    _open_chat(page, base)
    expect(page.get_by_role('button', name='Roll dice')).to_have_count(0)

    other = browser.new_context(viewport={'width': 1280, 'height': 720}, locale='en-US')
    try:
        bob = other.new_page()
        register(bob, base, 'bob')
        _open_chat(bob, base)
        expect(bob.get_by_role('button', name='Roll dice')).to_be_visible()
        bob.get_by_placeholder('Write a message').fill('/roll d4')
        bob.keyboard.press('Enter')
        expect(bob.get_by_text('🎲 bob rolls d4:')).to_be_visible()
    finally:
        other.close()
