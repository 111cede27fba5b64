"""Personas in a real browser: open the page from the navigation, add a persona with a picture, find it again after
a reload, make it the default and delete it."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from .actions import log_in, log_out, register

pytestmark = pytest.mark.e2e

NAME = 'Ash the Bard'
DESCRIPTION = 'A wandering bard who plays the lute and collects old songs.'


def test_a_persona_is_added_kept_made_default_and_deleted(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'alice')
    log_out(page, base, 'alice')
    log_in(page, base, 'alice')
    page.get_by_role('button', name='Personas').click()
    expect(page).to_have_url(f'{base}/personas')
    expect(page.get_by_text('No personas yet')).to_be_visible()

    _add_persona(page)
    page.reload()
    card = _card(page)
    expect(card.get_by_text(DESCRIPTION)).to_be_visible()
    expect(card.locator('img[src^="/media/thumbs/"]')).to_be_visible()
    expect(card.get_by_text('default', exact=True)).to_have_count(0)

    card.get_by_role('button', name='Edit').click()
    page.get_by_text('Use by default').click()
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Persona saved.')).to_be_visible()
    expect(_card(page).get_by_text('default', exact=True)).to_be_visible()
    personas = page.request.get(f'{base}/api/v1/personas').json()
    assert [(p['name'], p['description'], p['is_default']) for p in personas] == [(NAME, DESCRIPTION, True)]

    _card(page).get_by_role('button', name='Delete').click()
    page.get_by_role('dialog').get_by_role('button', name='Delete').click()
    expect(page.get_by_text('No personas yet')).to_be_visible()
    assert page.request.get(f'{base}/api/v1/personas').json() == []


def _add_persona(page: Page) -> None:
    page.get_by_role('button', name='Add persona').click()
    page.get_by_label('Name', exact=True).fill(NAME)
    page.get_by_label('Description', exact=True).fill(DESCRIPTION)
    page.locator('input[type=file]').set_input_files(
        files=[{'name': 'ash.png', 'mimeType': 'image/png', 'buffer': _png()}])
    expect(page.locator('img[src^="data:image/png"]')).to_be_visible()
    page.get_by_role('button', name='Save').click()
    expect(_card(page)).to_be_visible()


def _card(page: Page) -> Locator:
    """The persona's card: the one that holds its name."""
    return page.locator('.q-card').filter(has_text=NAME)


def _png() -> bytes:
    """A real 96x96 PNG: a warm gradient with a light square."""
    image = Image.new('RGB', (96, 96))
    image.putdata([(200 - x, 80 + y, 60 + x) for y in range(96) for x in range(96)])
    image.paste((240, 230, 200), (36, 36, 60, 60))
    buffer = io.BytesIO()
    image.save(buffer, format='PNG')
    return buffer.getvalue()
