"""Reply actions in a real browser: swipe, edit, delete, continue, bulk delete, settings, and a reload mid-reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_openai import FakeOpenAI, Script

from .test_chat_flow import _open_chat

pytestmark = pytest.mark.e2e


def _send(page: Page, text: str) -> None:
    page.get_by_placeholder('Write a message').fill(text)
    page.keyboard.press('Enter')


def _menu(page: Page, item: str) -> None:
    page.get_by_role('button', name='More actions').click()
    page.get_by_text(item).click()


def test_swipe_edit_and_delete(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['First', ' answer.'])
    _open_chat(page, live_server, fake_openai)
    _send(page, 'Question one')
    expect(page.get_by_text('First answer.')).to_be_visible()
    fake_openai.script = Script(tokens=['Second', ' answer.'], delay=0.05)
    page.get_by_role('button', name='Next swipe').click()
    expect(page.get_by_text('Second answer.')).to_be_visible()
    expect(page.get_by_text('2/2')).to_be_visible()
    page.get_by_role('button', name='Previous swipe').click()
    expect(page.get_by_text('First answer.')).to_be_visible()
    expect(page.get_by_text('1/2')).to_be_visible()

    user_message = page.locator('.q-card', has_text='Question one')
    user_message.get_by_role('button', name='Edit').click()
    page.locator('textarea').first.fill('Question one, edited')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Question one, edited')).to_be_visible()
    page.reload()
    expect(page.get_by_text('Question one, edited')).to_be_visible()

    page.locator('.q-card', has_text='Question one, edited').get_by_role('button', name='Delete').click()
    page.locator('.q-dialog').get_by_role('button', name='Delete', exact=True).click()
    expect(page.get_by_text('Question one, edited')).to_have_count(0)
    page.reload()
    expect(page.get_by_text('First answer.')).to_be_visible()
    expect(page.get_by_text('Question one, edited')).to_have_count(0)


def test_continue_settings_and_bulk_delete(page: Page, live_server: str, fake_openai: FakeOpenAI) -> None:
    _open_chat(page, live_server, fake_openai)
    fake_openai.script = Script(tokens=[' Welcome', ' aboard.'])
    _menu(page, 'Continue the last reply')
    expect(page.get_by_text('Ahoy! Welcome aboard.')).to_be_visible()

    page.get_by_role('button', name='Generation settings').click()
    page.get_by_label('Temperature').fill('0.25')
    page.get_by_label('Stop strings (one per line)').fill('###')
    page.get_by_role('button', name='Save').click()
    fake_openai.script = Script(tokens=['Aye.'])
    _send(page, 'Hoist the sails')
    expect(page.get_by_text('Aye.')).to_be_visible()
    assert (fake_openai.requests[-1]['temperature'], fake_openai.requests[-1]['stop']) == (0.25, ['###'])
    expect(page.get_by_text('Next prompt:')).to_be_visible()

    _menu(page, 'Select messages to delete')
    page.get_by_role('checkbox', name='Select this message').nth(1).click()
    page.get_by_role('checkbox', name='Select this message').nth(2).click()
    expect(page.get_by_text('2 selected')).to_be_visible()
    page.get_by_role('button', name='Delete selected').click()
    page.locator('.q-dialog').get_by_role('button', name='Delete', exact=True).click()
    expect(page.get_by_text('Aye.')).to_have_count(0)
    page.reload()
    expect(page.get_by_text('Ahoy! Welcome aboard.')).to_be_visible()
    expect(page.get_by_text('Hoist the sails')).to_have_count(0)


def test_a_tab_opened_mid_reply_shows_the_text_so_far_and_keeps_growing(page: Page, live_server: str,
                                                                        fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=[f'bit{i} ' for i in range(60)], delay=0.1)
    _open_chat(page, live_server, fake_openai)
    _send(page, 'Tell me everything')
    expect(page.locator('.whitespace-pre-wrap').last).to_contain_text('bit8 ')
    page.reload()
    streaming = page.locator('.whitespace-pre-wrap').last
    expect(streaming).to_contain_text('bit0 bit1 bit2 ')
    expect(streaming).to_contain_text('bit30 ')
    expect(page.get_by_text('bit59', exact=False).last).to_be_visible(timeout=15_000)
    assert page.get_by_text('bit0 bit1 bit2', exact=False).count() == 1
