"""What every first-party plugin's tests share: the packaging check (the app's own wheel builder makes its wheel and
the host's wheel reader accepts it, with a valid manifest and both translation files) and a harness chat answered by
the fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path

from app.plugins.wheel import WheelContents, read_wheel
from app.plugins.wheel_builder import build_wheel
from app.services.connections import ConnectionFields
from plugins.sdk import ChatInfo
from plugins.sdk.testing import PluginHarness
from tests.support.fake_openai import FakeOpenAI

PLUGINS_DIR = Path(__file__).parents[2] / 'plugins'


def check_packaging(plugin_id: str) -> WheelContents:
    """Build the plugin's wheel from its source folder and read it back as an install would."""
    built = build_wheel(PLUGINS_DIR / plugin_id)
    assert built.filename == f'tavern_plugin_{plugin_id}-1.0.0-py3-none-any.whl'
    contents = read_wheel(built.data)
    assert contents.manifest.id == plugin_id
    assert contents.manifest.module == f'{plugin_id}.plugin'
    assert contents.manifest.author == 'TavernAI Plus'
    package = {f'{plugin_id}/{name}' for name in ('__init__.py', 'plugin.py', 'plugin.json', 'i18n/en.json',
                                                   'i18n/zh-CN.json')}
    assert package <= set(contents.files)
    english = json.loads(contents.files[f'{plugin_id}/i18n/en.json'])
    chinese = json.loads(contents.files[f'{plugin_id}/i18n/zh-CN.json'])
    assert set(english) == set(chinese)
    assert all(text.strip() for text in [*english.values(), *chinese.values()])
    return contents


async def chat_on_fake_openai(h: PluginHarness, fake: FakeOpenAI, character_name: str = 'Mira') -> ChatInfo:
    """A harness chat whose replies come from `fake` (the user's default connection points at it)."""
    await h.services.connections.create(h.user, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                                 base_url=fake.base_url, is_default=True))
    return await h.chat(character_name)
