"""The character randomiser: seeded picks, the library with its tag and favourites filters, `/random` in a chat,
the "Surprise me" section of the library page, and the packaging."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from character_randomiser import picker, plugin
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.container import Services
from plugins.sdk import CommandCall, CommandResult
from plugins.sdk.testing import PluginHarness, plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging

LIBRARY = [('Aelin', ['elf', 'mage']), ('Bram', ['dwarf']), ('Cyra', ['elf']), ('小龙', ['dragon', '中文']),
           ('Dax', [])]


@dataclass(frozen=True)
class Choice:
    """What `pick` reads of a character: its id."""

    id: str


def character(character_id: str) -> Choice:
    return Choice(character_id)


def test_a_seeded_pick_is_predictable_and_avoids_the_last_one() -> None:
    characters = [character(name) for name in 'abcde']
    picker.rng.seed(7)
    picks = [picker.pick(characters, avoid='c').id for _ in range(20)]
    expected_rng = random.Random(7)
    assert picks == [expected_rng.choice([item for item in characters if item.id != 'c']).id for _ in range(20)]
    assert 'c' not in picks
    assert picker.pick([character('a')], avoid='a').id == 'a'
    assert picker.pick([]) is None


async def fill_library(services: Services, owner: Account) -> dict[str, str]:
    ids = {}
    for name, tags in LIBRARY:
        created = await services.characters.create(owner, CharacterFields(name=name, tags=tags, first_mes='Hi.',
                                                                          creator_notes=f'{name} is here.'))
        ids[name] = created.id
    await services.characters.set_favorite(owner, ids['Bram'], True)
    await services.characters.set_favorite(owner, ids['小龙'], True)
    return ids


async def test_the_library_is_read_page_by_page_and_filtered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(picker, 'PAGE', 2)
    async with plugin_harness(plugin) as h:
        await fill_library(h.services, h.user)
        everyone = await picker.library(h.ctx, h.user)
        elves = await picker.library(h.ctx, h.user, tag='elf')
        favourites = await picker.library(h.ctx, h.user, favorites_only=True)
        other = await h.new_user('other')
        assert await picker.library(h.ctx, other) == []
    assert sorted(item.name for item in everyone) == sorted(name for name, _ in LIBRARY)
    assert sorted(item.name for item in elves) == ['Aelin', 'Cyra']
    assert sorted(item.name for item in favourites) == ['Bram', '小龙']


async def run_random(h: PluginHarness, args: str) -> CommandResult:
    chat = await h.chat('Host')
    (commands,) = await h.call('slash_commands', user=h.user)
    (command,) = commands
    assert command.name == 'random'
    return await command.run(CommandCall(args=args, chat=chat, user=h.user))


async def test_random_suggests_a_character_of_the_tag_with_a_chat_link() -> None:
    async with plugin_harness(plugin) as h:
        ids = await fill_library(h.services, h.user)
        picker.rng.seed(3)
        result = await run_random(h, 'elf')
        chosen = random.Random(3).choice(['Aelin', 'Cyra'])
        assert result.system_note.startswith(f'🎲 How about **{chosen}**? [Chat with {chosen}]'
                                             f'(/characters/{ids[chosen]}/chat)')
        assert result.system_note.endswith(f'> {chosen} is here.')
        assert (await run_random(h, 'vampire')).notify == 'No other character has the tag "vampire".'


async def test_random_never_suggests_the_character_of_the_chat_and_follows_the_settings() -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings(h.plugin_id, 'user', {'tag': 'dragon'}, user=h.user)
        await fill_library(h.services, h.user)
        assert '**小龙**' in (await run_random(h, '')).system_note
        await h.services.plugins.write_settings(h.plugin_id, 'user', {'tag': 'host-only'}, user=h.user)
        assert (await run_random(h, '')).notify == 'No other character has the tag "host-only".'


async def test_the_section_is_only_for_the_library_page() -> None:
    async with plugin_harness(plugin) as h:
        assert len(await h.call('ui_slot', slot='home.sections', target=None)) == 1
        assert await h.call('ui_slot', slot='chat.sidebar', target=None) == []


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    check_packaging('character_randomiser')


async def test_surprise_me_shows_a_random_character_and_chat_now_opens_a_chat(user: User, login) -> None:
    owner = await login('alice')
    services = runtime.services()
    ids = await fill_library(services, owner)
    await services.plugins.load_modules([plugin.__name__])
    await user.open('/')
    await user.should_see(marker='randomiser')
    user.find(marker='randomiser-tag').elements.pop().set_value('elf')
    picker.rng.seed(11)
    chooser = random.Random(11)
    first = chooser.choice(['Aelin', 'Cyra'])
    user.find(marker='randomiser-pick').click()
    await user.should_see(marker=f'picked-{ids[first]}')
    second = 'Cyra' if first == 'Aelin' else 'Aelin'
    user.find(marker='randomiser-another').click()
    await user.should_see(marker=f'picked-{ids[second]}')
    user.find(marker='randomiser-chat').click()
    await user.should_see(marker='chat-input', retries=100)  # opening the chat page takes a while on a busy machine
    (chat,) = await services.chats.list_chats(owner, character_id=ids[second])
    assert chat.character_id == ids[second]


async def test_random_typed_in_the_chat_adds_a_note(user: User, login) -> None:
    owner = await login('alice')
    services = runtime.services()
    ids = await fill_library(services, owner)
    await services.plugins.load_modules([plugin.__name__])
    chat = await services.chats.start(owner, ids['Dax'])
    await user.open(f'/chat/{chat.id}')
    user.find(marker='chat-input').type('/random dragon')
    user.find(marker='send').click()
    await user.should_see('How about')
    notes = [message for message in (await services.chats.messages(owner, chat.id)).items
             if message.role == 'system']
    assert len(notes) == 1 and f'/characters/{ids["小龙"]}/chat' in notes[0].content
