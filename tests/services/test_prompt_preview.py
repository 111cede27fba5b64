"""The prompt preview (and so every reply's prompt) for a character with a lorebook, a persona, an author's note and
a SillyTavern preset: blocks in the order and positions the preset defines, pinned message by message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.db.models import Chat, User
from app.services.character_card import CharacterFields, CharacterUpdate
from app.services.chats import ChatConfig, NewMessage
from app.services.connections import ConnectionFields
from app.services.container import Services
from app.services.generation_settings import GenerationSettings
from app.services.lorebooks.schemas import LorebookFields
from app.services.personas import PersonaFields
from app.services.presets import PromptManagerConfig
from app.services.prompting.authors_note import ChatNote
from app.services.providers.base import ContextTooLongError
from tests.support.compat import COMPAT_DIR
from tests.support.fake_openai import FakeOpenAI, Script

PASSWORD = 'correct horse battery'
ST_DEFAULT = COMPAT_DIR / 'sillytavern' / 'presets' / 'openai' / 'Default.json'
MARINARA = COMPAT_DIR / 'community' / 'presets' / 'Marinaras_Special.json'
MIRA = CharacterFields(name='Mira', description='{{char}} keeps the lighthouse.', personality='gruff',
                       scenario='{{user}} is stranded.', first_mes='Hi {{user}}.',
                       mes_example='<START>\n{{user}}: Hello?\n{{char}}: Who goes there?')


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['The ', 'lamp ', 'holds.'])
    fake_openai.requests.clear()


async def _setup(services: Services, fake_openai: FakeOpenAI, preset: str | None = str(ST_DEFAULT)) -> tuple[User,
                                                                                                           Chat]:
    """Alice (shown as Alex) with a persona, Mira with a three-entry lorebook, an author's note and a preset."""
    alice = await services.accounts.register('alice', PASSWORD, display_name='Alex')
    await services.connections.create(alice, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                              base_url=fake_openai.base_url, is_default=True))
    await services.personas.create(alice, PersonaFields(name='Alex', description='{{user}} is a sailor.',
                                                        is_default=True))
    character = await services.characters.create(alice, MIRA)
    book = await services.lorebooks.create(alice, LorebookFields(name='Island'))
    await services.lorebooks.create_entry(alice, book.id, {'comment': 'Lighthouse', 'constant': True, 'position': 0,
                                                           'content': 'The island has one lighthouse.'})
    await services.lorebooks.create_entry(alice, book.id, {'comment': 'Storms', 'key': ['storm'], 'position': 1,
                                                           'content': 'Storms wreck ships here.'})
    await services.lorebooks.create_entry(alice, book.id, {'comment': 'Lamp', 'key': ['lamp'], 'position': 4,
                                                           'depth': 0, 'role': 0,
                                                           'content': 'The lamp is failing.'})
    await services.lorebooks.create_entry(alice, book.id, {'comment': 'Ghost', 'key': ['ghost'], 'position': 0,
                                                           'content': 'A ghost walks the shore.'})
    await services.lorebooks.set_character_books(alice, character.id, [book.id])
    if preset:
        results = await services.presets.import_file(alice, Path(preset).read_bytes(), Path(preset).name)
        await services.presets.activate(alice, results[0].preset_id)
    chat = await services.chats.start(alice, character.id)
    await services.chats.update_meta(alice, chat.id, ChatNote(prompt='Keep replies short.', interval=1, depth=1,
                                                              position=1, role=0).to_meta())
    await services.chats.append(alice, chat.id, NewMessage(role='user', content='A storm! And the lamp flickers.'))
    return alice, await services.chats.get(alice, chat.id)


async def test_sillytaverns_default_preset_with_lorebook_persona_and_note(services: Services,
                                                                        fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    _, prepared = await services.generation.preview(alice, chat.id)
    built = prepared.built
    assert [(m.role, m.content, source) for m, source in zip(built.messages, built.sources, strict=True)] == [
        ('system', "Write Mira's next reply in a fictional chat between Mira and Alex.", 'main'),
        ('system', 'The island has one lighthouse.', 'worldInfoBefore'),
        ('system', 'Alex is a sailor.', 'personaDescription'),
        ('system', 'Mira keeps the lighthouse.', 'charDescription'),
        ('system', "[Mira's personality: gruff]", 'charPersonality'),
        ('system', '[Circumstances and context of the dialogue: Alex is stranded.]', 'scenario'),
        ('system', 'Storms wreck ships here.', 'worldInfoAfter'),
        ('system', '[Example Chat]', 'dialogueExamples'),
        ('system', 'Hello?', 'dialogueExamples'),
        ('system', 'Who goes there?', 'dialogueExamples'),
        ('system', '[Start a new Chat]', 'newChatPrompt'),
        ('assistant', 'Hi Alex.', 'chatHistory'),
        ('system', 'Keep replies short.', 'authorsNote'),
        ('user', 'A storm! And the lamp flickers.', 'chatHistory'),
        ('system', 'The lamp is failing.', 'worldInfoDepth'),
    ]
    assert built.total_tokens == sum(built.block_tokens.values()) > 0
    fired = {entry['comment']: entry['reason'] for entry in prepared.world_info}
    assert fired == {'Lighthouse': 'constant', 'Storms': 'key:storm', 'Lamp': 'key:lamp'}


async def test_preview_changes_nothing_but_a_reply_keeps_its_fired_entries(services: Services,
                                                                           fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    _, prepared = await services.generation.preview(alice, chat.id)
    assert (await services.chats.get(alice, chat.id)).meta == chat.meta
    reply_id = await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    reply = await services.chats.message(alice, reply_id)
    assert reply.content == 'The lamp holds.'
    assert [entry['comment'] for entry in reply.meta['world_info']] == \
        [entry['comment'] for entry in prepared.world_info]
    sent = fake_openai.requests[-1]['messages']
    assert [message['content'] for message in sent] == [message.content for message in prepared.built.messages]


async def test_a_community_preset_places_blocks_in_its_own_order(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai, str(MARINARA))
    _, prepared = await services.generation.preview(alice, chat.id)
    config = PromptManagerConfig.from_st(json.loads(MARINARA.read_text(encoding='utf-8')))
    relative = {block.identifier for block in config.prompts if block.injection_position != 1}
    expected = [identifier for identifier, enabled in config.order if enabled and identifier in relative]
    placed = ['chatHistory' if source == 'newChatPrompt' else source for source in prepared.built.block_tokens
              if source not in ('authorsNote', 'worldInfoDepth', 'chatHistory')]
    assert placed == [identifier for identifier in expected if identifier in placed]
    assert len(placed) == 10
    assert config.squash_system_messages
    assert prepared.built.messages[0].content.startswith(config.block('main').content[:20])


async def test_without_a_preset_the_built_in_default_is_used_and_the_note_can_be_turned_off(
        services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai, preset=None)
    await services.chats.update_meta(alice, chat.id, {'note_interval': 0})
    _, prepared = await services.generation.preview(alice, chat.id)
    assert prepared.built.sources[0] == 'main'
    assert 'authorsNote' not in prepared.built.sources
    assert 'personaDescription' in prepared.built.sources


async def test_macros_and_variables_persist_only_after_a_reply(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.chats.update_meta(alice, chat.id, {'note_prompt': '{{setvar::mood::tense}}Stay {{char}}.'})
    _, prepared = await services.generation.preview(alice, chat.id)
    assert 'Stay Mira.' in [m.content for m in prepared.built.messages]
    assert 'variables' not in (await services.chats.get(alice, chat.id)).meta
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    assert (await services.chats.get(alice, chat.id)).meta['variables'] == {'mood': 'tense'}


async def test_a_prompt_that_does_not_fit_is_still_previewed_whole(services: Services,
                                                                   fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    await services.chats.configure(alice, chat.id, ChatConfig(settings=GenerationSettings(context_size=256,
                                                                                          max_tokens=200)))
    await services.characters.update(alice, chat.character_id, CharacterUpdate(description='Lighthouse lore. ' * 60))
    _, prepared = await services.generation.preview(alice, chat.id)
    assert not prepared.fits
    assert 'charDescription' in prepared.built.sources and prepared.built.history_kept == 2
    with pytest.raises(ContextTooLongError):
        await services.generation.prompt_tokens(alice, chat.id)
