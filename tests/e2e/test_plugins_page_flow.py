"""Plugins end to end in a real browser: an administrator uploads a wheel built in the test from a tiny plugin,
sees it listed with its permissions, changes its settings (the plugin's own route reports the new value) and
switches it off for everyone (the route answers 404)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.plugin_wheels import build_wheel, manifest_for

from .actions import PASSWORD, register

pytestmark = pytest.mark.e2e

PLUGIN_ID = 'e2e_greeter'
PLUGIN = '''
from fastapi import APIRouter
from pydantic import BaseModel, Field

from plugins.sdk import hookimpl


class Settings(BaseModel):
    greeting: str = Field(default='Hello', description='What the greeting route says')


@hookimpl
def register_routes(ctx):
    router = APIRouter()

    @router.get('/greeting')
    async def greeting() -> dict:
        return {'greeting': ctx.settings().greeting}

    return [router]
'''


def test_upload_configure_and_disable_a_plugin(page: Page, live_server: str) -> None:
    base = live_server
    register(page, base, 'admin')
    page.goto(f'{base}/plugins')
    expect(page.get_by_text('No plugins are installed.')).to_be_visible()
    wheel = build_wheel(manifest_for(PLUGIN_ID, name='Greeter', permissions=['network', 'chat.read']),
                        {'plugin.py': PLUGIN})
    page.locator('.q-uploader input[type=file]').set_input_files(
        files=[{'name': f'{PLUGIN_ID}-1.0.0-py3-none-any.whl', 'mimeType': 'application/octet-stream',
                'buffer': wheel}])
    consent = page.get_by_role('dialog')
    expect(consent.get_by_text('Install Greeter 1.0.0?')).to_be_visible()
    expect(consent.get_by_text('Read chat messages')).to_be_visible()
    consent.get_by_role('button', name='Install', exact=True).click()
    card = page.locator('.q-card').filter(has_text='Greeter')
    expect(card.get_by_text('enabled', exact=True)).to_be_visible()
    expect(card.get_by_text('Connect to other servers on the internet')).to_be_visible()
    expect(card.get_by_text('Read chat messages')).to_be_visible()

    with httpx.Client(base_url=base) as client:
        token = client.post('/api/v1/auth/login', json={'username': 'admin', 'password': PASSWORD})
        headers = {'Authorization': f'Bearer {token.json()["access_token"]}'}
        assert client.get(f'/api/plugins/{PLUGIN_ID}/greeting', headers=headers).json() == {'greeting': 'Hello'}

        card.get_by_text('Settings for everyone').click()
        card.get_by_label('Greeting').fill('Bonjour')
        card.get_by_role('button', name='Save').click()
        expect(page.get_by_text('Settings saved.')).to_be_visible()
        assert client.get(f'/api/plugins/{PLUGIN_ID}/greeting', headers=headers).json() == {'greeting': 'Bonjour'}

        card.get_by_role('switch', name='On for everyone').click()
        expect(card.get_by_text('disabled', exact=True)).to_be_visible()
        assert client.get(f'/api/plugins/{PLUGIN_ID}/greeting', headers=headers).status_code == 404
