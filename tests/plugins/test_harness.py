"""`plugins.sdk.testing.plugin_harness`: what a plugin author's own test gets in two lines."""

from pathlib import Path

import httpx
import pytest

from plugins.sdk import PromptMessage
from plugins.sdk.testing import plugin_harness
from tests.support.plugin_wheels import manifest_for, unique_id, write_plugin_package

SOURCE = '''
from fastapi import APIRouter
from pydantic import BaseModel

from plugins.sdk import PromptMessage, hookimpl


class Settings(BaseModel):
    note: str = 'Stay in character.'


router = APIRouter()


@router.get('/note')
async def note() -> dict:
    return {'note': 'see settings'}


@hookimpl
def register_routes(ctx):
    return [router]


@hookimpl
def prompt_messages(ctx, messages, chat):
    return [PromptMessage('system', f'{ctx.settings().note} ({chat.character_name})'), *messages]


@hookimpl
def message_submitted(ctx, text):
    raise RuntimeError('nope')
'''


async def test_the_harness_runs_one_plugin_on_the_real_services(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_id = unique_id()
    folder = tmp_path / 'source'
    write_plugin_package(folder, manifest_for(plugin_id), {'plugin.py': SOURCE})
    monkeypatch.syspath_prepend(str(folder))
    async with plugin_harness(folder, settings={'note': 'Be brief.'}) as h:
        assert h.plugin_id == plugin_id and h.user.is_admin
        response = await h.client.get(f'/api/plugins/{plugin_id}/note')
        assert response.json() == {'note': 'see settings'}
        chat = await h.chat('Mira')
        messages = await h.pipe('prompt_messages', [PromptMessage('user', 'hi')], chat=chat)
        assert messages == [PromptMessage('system', 'Be brief. (Mira)'), PromptMessage('user', 'hi')]
        assert await h.pipe('message_submitted', 'hi', chat=chat) == 'hi'
        assert await h.errors() == ['RuntimeError: nope']
        listed = await h.client.get('/api/v1/plugins')
        assert [item['id'] for item in listed.json()] == [plugin_id]


SIGNED_IN_SOURCE = '''
from fastapi import APIRouter

from plugins.sdk import CurrentUser, hookimpl

router = APIRouter()


@router.get('/me')
async def me(user: CurrentUser) -> dict:
    return {'handle': user.handle}


@hookimpl
def register_routes(ctx):
    return [router]
'''


async def test_a_plugin_route_signs_the_caller_in_with_the_sdks_current_user(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_id = unique_id()
    folder = tmp_path / 'source'
    write_plugin_package(folder, manifest_for(plugin_id), {'plugin.py': SIGNED_IN_SOURCE})
    monkeypatch.syspath_prepend(str(folder))
    async with plugin_harness(folder) as h:
        signed_in = await h.client.get(f'/api/plugins/{plugin_id}/me')
        async with httpx.AsyncClient(transport=h.client._transport, base_url=h.client.base_url) as stranger:
            anonymous = await stranger.get(f'/api/plugins/{plugin_id}/me')
    assert signed_in.json() == {'handle': h.user.handle}
    assert anonymous.status_code == 401
