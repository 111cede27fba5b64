"""Sampler settings in a real browser: a KoboldCpp connection picked by kind, Mirostat and DRY set in the
generation panel's groups, and the values reaching KoboldCpp under its own names with the next message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.fake_koboldcpp import FakeKoboldCpp, Script, running_fake_koboldcpp

from .actions import register

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def fake_kobold() -> Iterator[FakeKoboldCpp]:
    with running_fake_koboldcpp() as server:
        yield server


def _chat_through_koboldcpp(page: Page, base: str, fake: FakeKoboldCpp) -> None:
    """Register, add a KoboldCpp connection on the Connections page (kind picked from the list), open a chat."""
    register(page, base, 'alice')
    page.get_by_role('button', name='Connections').click()
    page.get_by_role('button', name='Add connection').click()
    page.get_by_label('Name').fill('Home KoboldCpp')
    page.get_by_label('Kind of server').click()
    page.get_by_role('option', name='KoboldCpp / KoboldAI').click()
    page.get_by_label('Base URL').fill(fake.base_url)
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('KoboldCpp / KoboldAI · ')).to_be_visible()
    character = page.request.post(f'{base}/api/v1/characters', data={'name': 'Mira', 'first_mes': 'Ahoy!'}).json()
    page.goto(f'{base}/characters/{character["id"]}/chat')
    expect(page.get_by_text('Ahoy!')).to_be_visible()


def test_mirostat_and_dry_set_in_the_panel_reach_koboldcpp(page: Page, live_server: str,
                                                           fake_kobold: FakeKoboldCpp) -> None:
    fake_kobold.reset()
    _chat_through_koboldcpp(page, live_server, fake_kobold)
    page.get_by_role('button', name='Generation settings').click()
    panel = page.locator('.q-dialog')
    expect(panel.get_by_label('Mirostat tau')).to_have_count(0)
    panel.get_by_text('Mirostat', exact=True).click()
    panel.get_by_label('Mirostat mode').click()
    page.get_by_role('option', name='Mirostat 2').click()
    panel.get_by_label('Mirostat tau').fill('6.5')
    panel.get_by_label('Mirostat eta').fill('0.2')
    panel.get_by_text('DRY', exact=True).click()
    panel.get_by_label('DRY allowed length').fill('3')
    panel.get_by_label('DRY sequence breakers (JSON list)').fill('["\\n", ":", "*"]')
    panel.get_by_label('DRY multiplier').fill('0.8')  # last: the group's fields are all built by now
    panel.get_by_label('DRY multiplier').press('Tab')
    expect(panel.get_by_label('DRY multiplier')).to_have_value('0.8')
    panel.get_by_role('button', name='Save').click()
    expect(panel).to_have_count(0)

    fake_kobold.script = Script(tokens=['Aye', ', captain.'])
    page.get_by_placeholder('Write a message').fill('Set sail')
    page.keyboard.press('Enter')
    expect(page.get_by_text('Aye, captain.')).to_be_visible()
    body = fake_kobold.requests[-1]
    sent = {key: body.get(key) for key in ('mirostat', 'mirostat_tau', 'mirostat_eta', 'dry_multiplier',
                                           'dry_allowed_length', 'dry_sequence_breakers', 'dry_base')}
    assert sent == {'mirostat': 2, 'mirostat_tau': 6.5, 'mirostat_eta': 0.2, 'dry_multiplier': 0.8,
                    'dry_allowed_length': 3, 'dry_sequence_breakers': ['\n', ':', '*'], 'dry_base': None}

    page.get_by_role('button', name='Generation settings').click()
    panel.get_by_text('Mirostat', exact=True).click()
    expect(panel.get_by_label('Mirostat tau')).to_have_value('6.5')
