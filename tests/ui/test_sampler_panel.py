"""The generation panel's sampler fields: only what the chat's backend accepts, in groups built when first opened,
each with a reset, "Reset all", unreadable text refused with the field's name, values that reach the backend, and
SillyTavern sampler presets that fill the fields."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.chats import ChatConfig
from app.services.connections import ConnectionFields
from app.services.generation_settings import GenerationSettings
from components.sampler_fields import GROUPS
from tests.support.compat import COMPAT_DIR
from tests.support.fake_koboldcpp import FakeKoboldCpp, running_fake_koboldcpp

Login = Callable[..., Awaitable[Account]]
REFUSED = 'http://127.0.0.1:9'
"""Nothing listens there, so the panel's model suggestions fail at once and it shows none."""


@pytest.fixture(scope='module')
def fake_kobold() -> Iterator[FakeKoboldCpp]:
    with running_fake_koboldcpp() as server:
        yield server


async def _connection(owner: Account, kind: str, base_url: str = REFUSED, is_default: bool = False) -> str:
    fields = ConnectionFields(name=kind, provider=kind, base_url=base_url, is_default=is_default)
    return (await runtime.services().connections.create(owner, fields)).id


async def _chat(owner: Account, connection_id: str | None = None, **settings: Any) -> str:
    services = runtime.services()
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(owner, character.id)
    await services.chats.configure(owner, chat.id, ChatConfig(connection_id=connection_id,
                                                              settings=GenerationSettings(**settings)))
    return chat.id


async def _open_panel(user: User, chat_id: str) -> None:
    await user.open(f'/chat/{chat_id}')
    user.find(marker='generation-open').click()
    await user.should_see(marker='generation-panel')


def _open_group(user: User, group: str) -> None:
    """Open a group as the browser does, by the expansion reporting its new value."""
    user.find(marker=f'sampler-group-{group}').trigger('update:modelValue', True)


async def _groups_shown(user: User, *expected: str) -> None:
    for group in GROUPS:
        if group in expected:
            await user.should_see(marker=f'sampler-group-{group}')
        else:
            await user.should_not_see(marker=f'sampler-group-{group}')


async def _saved_settings(owner: Account, chat_id: str, before: dict[str, Any]) -> dict[str, Any]:
    """The chat's settings once the save (which runs asynchronously) has changed them."""
    for _ in range(100):
        settings = (await runtime.services().chats.get(owner, chat_id)).settings
        if settings != before:
            return settings
        await asyncio.sleep(0.05)
    return before


async def test_an_anthropic_chat_shows_only_claudes_settings(user: User, login: Login) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, await _connection(alice, 'anthropic'))
    await _open_panel(user, chat_id)
    await _groups_shown(user, 'basic')
    for key in ('temperature', 'top_p', 'top_k', 'max_tokens', 'context_size', 'stop'):
        await user.should_see(marker=f'generation-{key}')
    await user.should_not_see(marker='generation-min_p')
    await user.should_see('Randomness of each word choice')
    assert user.find(marker='generation-temperature').elements.pop().props['hint'] == '0 to 5'


async def test_choosing_a_koboldcpp_connection_regroups_the_fields_and_groups_build_on_first_open(
        user: User, login: Login) -> None:
    alice = await login('alice')
    await _connection(alice, 'anthropic', is_default=True)
    kobold = await _connection(alice, 'koboldcpp')
    chat_id = await _chat(alice)
    await _open_panel(user, chat_id)
    await _groups_shown(user, 'basic')
    user.find(marker='generation-connection').click()
    user.find('koboldcpp').click()
    await _groups_shown(user, *GROUPS)
    await user.should_not_see(marker='generation-dry_multiplier')
    _open_group(user, 'dry')
    for key in ('dry_multiplier', 'dry_base', 'dry_allowed_length', 'dry_penalty_last_n', 'dry_sequence_breakers'):
        await user.should_see(marker=f'generation-{key}')
    _open_group(user, 'penalties')
    await user.should_see(marker='generation-repetition_penalty_slope')
    await user.should_not_see(marker='generation-frequency_penalty')
    assert (await runtime.services().chats.get(alice, chat_id)).connection_id is None
    user.find(marker='save-generation').click()
    for _ in range(100):
        if (await runtime.services().chats.get(alice, chat_id)).connection_id:
            break
        await asyncio.sleep(0.05)
    assert (await runtime.services().chats.get(alice, chat_id)).connection_id == kobold


async def test_the_embedded_model_offers_its_own_settings(user: User, login: Login) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice)
    await _open_panel(user, chat_id)
    await _groups_shown(user, 'basic', 'penalties', 'mirostat', 'advanced')
    _open_group(user, 'advanced')
    await user.should_see(marker='generation-logit_bias')
    await user.should_not_see(marker='generation-top_a')


async def test_kobold_settings_are_saved_and_reach_the_server(user: User, login: Login,
                                                              fake_kobold: FakeKoboldCpp) -> None:
    fake_kobold.reset()
    alice = await login('alice')
    chat_id = await _chat(alice, await _connection(alice, 'koboldcpp', fake_kobold.base_url))
    await _open_panel(user, chat_id)
    _open_group(user, 'mirostat')
    user.find(marker='generation-mirostat_mode').click()
    user.find('Mirostat 2').click()
    user.find(marker='generation-mirostat_tau').type('6.5')
    _open_group(user, 'dry')
    user.find(marker='generation-dry_multiplier').type('0.8')
    user.find(marker='generation-dry_sequence_breakers').type('["\\n", ":"]')
    _open_group(user, 'advanced')
    user.find(marker='generation-logit_bias').type('15043 = -5\n" dragon" = 2')
    user.find(marker='generation-banned_tokens').type('11, 12')
    user.find(marker='save-generation').click()
    settings = await _saved_settings(alice, chat_id, {})
    assert settings == {'mirostat_mode': 2, 'mirostat_tau': 6.5, 'dry_multiplier': 0.8,
                        'dry_sequence_breakers': ['\n', ':'], 'logit_bias': {'15043': -5.0, ' dragon': 2.0},
                        'banned_tokens': [11, 12]}
    user.find(marker='chat-input').type('Hi')
    user.find(marker='send').click()
    await user.should_see('Hello there!', retries=100)
    body = fake_kobold.requests[-1]
    assert (body['mirostat'], body['mirostat_tau'], body['dry_multiplier'], body['dry_sequence_breakers']) == \
        (2, 6.5, 0.8, ['\n', ':'])
    assert (body['logit_bias'], body['custom_token_bans']) == ({'15043': -5.0}, '11,12')


async def test_reset_one_field_and_reset_all(user: User, login: Login) -> None:
    alice = await login('alice')
    stored = {'temperature': 0.4, 'top_k': 20, 'mirostat_mode': 2, 'mirostat_tau': 6.0, 'stop': ['###']}
    chat_id = await _chat(alice, await _connection(alice, 'ollama'), **stored)
    await _open_panel(user, chat_id)
    user.find(marker='reset-temperature').click()
    assert user.find(marker='generation-temperature').elements.pop().value is None
    user.find(marker='save-generation').click()
    after_one = await _saved_settings(alice, chat_id, stored)
    assert after_one == {'top_k': 20, 'mirostat_mode': 2, 'mirostat_tau': 6.0, 'stop': ['###']}
    await _open_panel(user, chat_id)
    user.find(marker='reset-all-samplers').click()
    user.find(marker='save-generation').click()
    assert await _saved_settings(alice, chat_id, after_one) == {}


async def test_unreadable_text_is_refused_with_the_fields_name(user: User, login: Login) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, await _connection(alice, 'koboldcpp'), temperature=0.5)
    await _open_panel(user, chat_id)
    _open_group(user, 'dry')
    user.find(marker='generation-dry_sequence_breakers').type('["\\n", ')
    user.find(marker='save-generation').click()
    await user.should_see('DRY sequence breakers (JSON list): write a JSON list of strings')
    _open_group(user, 'dynatemp')
    user.find(marker='generation-dry_sequence_breakers').clear()
    user.find(marker='generation-min_temp').type('0.5')
    user.find(marker='save-generation').click()
    await user.should_see('Check these fields: max_temp')
    assert (await runtime.services().chats.get(alice, chat_id)).settings == {'temperature': 0.5}


async def test_loading_a_sampler_preset_fills_the_fields_the_backend_accepts(user: User, login: Login) -> None:
    alice = await login('alice')
    godlike = json.loads((COMPAT_DIR / 'sillytavern' / 'presets' / 'kobold' / 'Godlike.json').read_text())
    presets = runtime.services().presets
    await presets.create(alice, 'kobold', 'Godlike', godlike)
    await presets.create(alice, 'textgen', 'Too hot', {'temp': 9, 'typical_p': 0.9, 'mirostat_mode': 2})
    await presets.create(alice, 'instruct', 'Alpaca', {'input_sequence': '### Instruction:'})
    stored = {'max_tokens': 200, 'xtc_probability': 0.5, 'stop': ['###']}
    chat_id = await _chat(alice, await _connection(alice, 'ollama'), **stored)
    await _open_panel(user, chat_id)
    await user.should_not_see('Alpaca')
    user.find(marker='sampler-preset').click()
    user.find('Godlike · KoboldAI').click()
    await user.should_see('Loaded "Godlike". Save to keep these values.')
    assert user.find(marker='generation-temperature').elements.pop().value == 0.7
    _open_group(user, 'penalties')
    await user.should_see(marker='generation-repetition_penalty_range')
    assert user.find(marker='generation-repetition_penalty_range').elements.pop().value == 1024
    user.find(marker='save-generation').click()
    assert await _saved_settings(alice, chat_id, stored) == {
        'max_tokens': 200, 'stop': ['###'], 'temperature': 0.7, 'top_p': 0.5, 'top_k': 0, 'typical_p': 0.19,
        'tfs': 0.97, 'repetition_penalty': 1.1, 'repetition_penalty_range': 1024, 'mirostat_mode': 0,
        'mirostat_tau': 5.0, 'mirostat_eta': 0.1}


async def test_a_preset_value_out_of_range_is_named_and_left_out(user: User, login: Login) -> None:
    alice = await login('alice')
    await runtime.services().presets.create(alice, 'textgen', 'Too hot', {'temp': 9, 'typical_p': 0.9,
                                                                          'mirostat_mode': 2})
    chat_id = await _chat(alice, await _connection(alice, 'koboldcpp'), temperature=0.6)
    await _open_panel(user, chat_id)
    user.find(marker='sampler-preset').click()
    user.find('Too hot · Text completion').click()
    await user.should_see('Not applied (out of range or unreadable): temp=9')
    assert user.find(marker='generation-temperature').elements.pop().value is None
    _open_group(user, 'mirostat')
    await user.should_see(marker='generation-mirostat_mode')
    assert user.find(marker='generation-mirostat_mode').elements.pop().value == 2
