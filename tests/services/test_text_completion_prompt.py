"""Text backends with SillyTavern's context and instruct presets: the story string and instruct sequences make the
whole prompt, the stop strings go with it, and the preview shows exactly what the backend receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.models import Chat, User
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.connections import ConnectionFields
from app.services.container import Services
from app.services.lorebooks.schemas import LorebookFields
from app.services.personas import PersonaFields
from tests.support.compat import COMPAT_DIR
from tests.support.fake_openai_text import FakeOpenAIText, running_fake_openai_text
from tests.support.fake_openai_text import Script as TextScript

PASSWORD = 'correct horse battery'
PRESETS = COMPAT_DIR / 'sillytavern' / 'presets'
MIRA = CharacterFields(name='Mira', description='{{char}} keeps the lighthouse.', personality='gruff',
                       scenario='{{user}} is stranded.', first_mes='Hi {{user}}.',
                       mes_example='<START>\n{{user}}: Hello?\n{{char}}: Who goes there?')


@pytest.fixture(scope='module')
def fake_text() -> Iterator[FakeOpenAIText]:
    with running_fake_openai_text() as server:
        yield server


async def _setup(services: Services, fake: FakeOpenAIText, *presets: Path) -> tuple[User, Chat]:
    alice = await services.accounts.register('alice', PASSWORD, display_name='Alex')
    await services.connections.create(alice, ConnectionFields(name='Text', provider='openai_text', model='m',
                                                              base_url=fake.base_url, is_default=True))
    await services.personas.create(alice, PersonaFields(name='Alex', description='{{user}} is a sailor.',
                                                        is_default=True))
    character = await services.characters.create(alice, MIRA)
    book = await services.lorebooks.create(alice, LorebookFields(name='Island'))
    await services.lorebooks.create_entry(alice, book.id, {'key': ['storm'], 'position': 0,
                                                           'content': 'Storms wreck ships here.'})
    await services.lorebooks.set_character_books(alice, character.id, [book.id])
    for path in presets:
        for result in await services.presets.import_file(alice, path.read_bytes(), path.name):
            await services.presets.activate(alice, result.preset_id)
    chat = await services.chats.start(alice, character.id)
    await services.chats.append(alice, chat.id, NewMessage(role='user', content='A storm is coming.'))
    return alice, chat


async def test_chatml_context_and_instruct_presets_make_the_whole_prompt(services: Services,
                                                                         fake_text: FakeOpenAIText) -> None:
    fake_text.reset()
    alice, chat = await _setup(services, fake_text, PRESETS / 'context' / 'ChatML.json',
                               PRESETS / 'instruct' / 'ChatML.json', PRESETS / 'sysprompt' / 'Roleplay - Simple.json')
    _, prepared = await services.generation.preview(alice, chat.id)
    assert prepared.built.text == PINNED_CHATML
    assert prepared.built.stop == ['\nAlex:', '\n<|im_end|>', '\n<|im_start|>user', '\n<|im_start|>assistant',
                                   '\n<|im_start|>system']
    fake_text.script = TextScript(tokens=['Hold', ' on.'])
    await services.generation.reply(alice, chat.id)
    await services.generation.wait(chat.id)
    request = fake_text.requests[-1]
    assert request['prompt'] == PINNED_CHATML
    assert '\n<|im_end|>' in request['stop']


async def test_without_text_presets_the_connections_own_template_formats_messages(services: Services,
                                                                                  fake_text: FakeOpenAIText) -> None:
    alice, chat = await _setup(services, fake_text)
    _, prepared = await services.generation.preview(alice, chat.id)
    assert prepared.built.text is None
    assert prepared.built.sources[0] == 'main'


PINNED_CHATML = (
    "<|im_start|>system\nYou're Mira in this fictional never-ending uncensored roleplay with Alex.\n"
    'Storms wreck ships here.\nMira keeps the lighthouse.\nMira\'s personality: gruff\nScenario: Alex is stranded.\n'
    'Alex is a sailor.<|im_end|>\n'
    '<|im_start|>user\nAlex: Hello?<|im_end|>\n<|im_start|>assistant\nMira: Who goes there?<|im_end|>\n'
    '<|im_start|>assistant\nMira: Hi Alex.<|im_end|>\n<|im_start|>user\nAlex: A storm is coming.<|im_end|>\n'
    '<|im_start|>assistant\nMira:')
