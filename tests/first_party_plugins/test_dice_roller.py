"""The dice roller plugin: dice notation and exact arithmetic with a seeded RNG, the `/roll` command through the
harness (notes, shared rolls, errors, user settings), the wheel build, and the toolbar menu on the chat page."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from dice_roller import plugin
from dice_roller.dice import DiceError, parse, roll
from nicegui.testing import User

from app import runtime
from app.errors import InvalidInputError
from app.plugins.manifest import manifest_from_folder
from app.services.character_card import CharacterFields
from plugins.sdk import CommandCall, CommandResult
from plugins.sdk.testing import PluginHarness, plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging

SOURCE = Path(plugin.__file__).parents[1]


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugin, 'RNG', random.Random(7))


@pytest.mark.parametrize(('notation', 'detail', 'total'), [
    ('2d6+1', '[3, 2] + 1', 6),
    ('d20', '[11]', 11),
    ('4d6kh3', '[3, ~~2~~, 4, 6]', 13),
    ('4d6k3', '[3, ~~2~~, 4, 6]', 13),
    ('4d6dl1', '[3, ~~2~~, 4, 6]', 13),
    ('4d6dh1', '[3, 2, 4, ~~6~~]', 9),
    ('2d20kl1', '[~~11~~, 5]', 5),
    ('2d10-1', '[6, 3] - 1', 8),
    ('3d8 + 2d6 + 4', '[6, 3, 7] + [6, 1] + 4', 27),
    ('d%', '[42]', 42),
    ('1d1+2d1-3', '[1] + [1, 1] - 3', 0),
])
def test_a_seeded_roll_gives_exact_dice_and_arithmetic(notation: str, detail: str, total: int) -> None:
    result = roll(parse(notation), random.Random(7))
    assert (result.describe(), result.total) == (detail, total)


def test_the_expression_is_normalised_and_the_rest_is_the_reason() -> None:
    expression = parse(' 2D6 + 1  sneak attack ')
    assert (expression.text, expression.reason) == ('2d6+1', 'sneak attack')


@pytest.mark.parametrize(('notation', 'code', 'params'), [
    ('', 'empty', {}),
    ('abc', 'syntax', {'near': 'abc'}),
    ('2d6x', 'syntax', {'near': '2d6x'}),
    ('d20stealth', 'syntax', {'near': 'd20stealth'}),
    ('101d6', 'too_many_dice', {'limit': 100}),
    ('60d6+41d6', 'too_many_dice', {'limit': 100}),
    ('d1001', 'too_many_sides', {'limit': 1000}),
    ('0d6', 'no_dice', {'term': '0d6'}),
    ('2d0', 'no_sides', {'term': '2d0'}),
    ('4d6kh5', 'keep_range', {'term': '4d6kh5', 'count': 4}),
    ('4d6dl4', 'drop_range', {'term': '4d6dl4', 'count': 4, 'most': 3}),
    ('+'.join(['1'] * 21), 'too_many_terms', {'limit': 20}),
])
def test_bad_expressions_are_refused_with_a_reason(notation: str, code: str, params: dict) -> None:
    with pytest.raises(DiceError) as refused:
        parse(notation)
    assert (refused.value.code, refused.value.params) == (code, params)


async def _roll(h: PluginHarness, args: str, locale: str = 'en') -> CommandResult:
    (commands,) = await h.call('slash_commands')
    (command,) = commands
    assert command.name == 'roll'
    chat = dataclasses.replace(await h.chat(), locale=locale)
    return await command.run(CommandCall(args=args, chat=chat, user=h.user))


async def test_roll_posts_a_visible_note_with_the_arithmetic(seeded: None) -> None:
    async with plugin_harness(plugin) as h:
        result = await _roll(h, '2d6+1')
    assert result == CommandResult(system_note='🎲 tester rolls 2d6+1: [3, 2] + 1 = 6')


async def test_the_note_names_the_reason_and_speaks_the_chats_language(seeded: None) -> None:
    async with plugin_harness(plugin) as h:
        english = await _roll(h, 'd20 stealth')
        plugin.RNG = random.Random(7)
        chinese = await _roll(h, 'd20 潜行', locale='zh-CN')
    assert english.system_note == '🎲 tester rolls d20 (stealth): [11] = 11'
    assert chinese.system_note == '🎲 tester 为「潜行」掷出 d20：[11] = 11'


async def test_a_bad_expression_only_shows_a_notice() -> None:
    async with plugin_harness(plugin) as h:
        too_many = await _roll(h, '200d6')
        wrong = await _roll(h, '2x6', locale='zh-CN')
    assert too_many == CommandResult(notify='A roll can use at most 100 dice.')
    assert wrong == CommandResult(notify='“2x6”不是骰子表达式。请写成 d20、2d6+1、4d6kh3 或 2d10-1 这样的形式。')


async def test_a_bare_roll_uses_the_default_dice_and_sharing_sends_it_as_the_users_message(seeded: None) -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings('dice_roller', 'user',
                                                {'default_dice': '3d6', 'share_with_character': True}, h.user)
        result = await _roll(h, '')
    assert result == CommandResult(send='🎲 tester rolls 3d6: [3, 2, 4] = 9')


async def test_a_default_dice_that_cannot_be_rolled_is_refused() -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError) as refused:
            await h.services.plugins.write_settings('dice_roller', 'user', {'default_dice': 'lots'}, h.user)
        response = await h.client.put('/api/v1/plugins/dice_roller/user-settings', json={'default_dice': 'd1001'})
    assert refused.value.params['field'] == 'default_dice'
    assert response.status_code in (400, 422)
    assert 'd1001' in response.text


async def test_the_command_is_described_in_the_users_language() -> None:
    async with plugin_harness(plugin) as h:
        await h.services.accounts.update_preferences(h.user.id, locale='zh-CN')
        (commands,) = await h.call('slash_commands', user=await h.services.accounts.get(h.user.id))
    assert commands[0].description.startswith('掷骰：/roll 2d6+1')


async def test_the_toolbar_gets_the_dice_menu_and_other_slots_nothing() -> None:
    async with plugin_harness(plugin) as h:
        toolbar = await h.call('ui_slot', slot='chat.input.toolbar', target=None)
        sidebar = await h.call('ui_slot', slot='chat.sidebar', target=None)
    assert len(toolbar) == 1 and callable(toolbar[0])
    assert sidebar == []


def test_the_plugin_builds_into_a_wheel_with_a_valid_manifest() -> None:
    contents = check_packaging('dice_roller')
    assert contents.manifest == manifest_from_folder(SOURCE / 'dice_roller')
    assert contents.manifest.contributes.commands == ['roll']


async def test_the_dice_menu_rolls_through_the_chat_input(user: User, login: Callable[..., Awaitable],
                                                          load_plugins: Callable[..., Awaitable[None]],
                                                          seeded: None) -> None:
    account = await login('alice')
    await load_plugins('dice_roller.plugin')
    services = runtime.services()
    character = await services.characters.create(account, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(account, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker='dice-roller-menu')
    user.find(marker='dice-roller-d20').click()
    await user.should_see('🎲 alice rolls d20: [11] = 11')
    (box,) = user.find(marker='chat-input').elements
    assert box.value == ''
    stored = (await services.chats.messages(account, chat.id)).items[-1]
    assert (stored.role, stored.name, stored.content) == ('system', '/roll', '🎲 alice rolls d20: [11] = 11')
