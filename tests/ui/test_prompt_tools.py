"""The chat page's prompt tools: the author's note dialog, the prompt preview and the per-reply lorebook view."""

from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.lorebooks.schemas import LorebookFields
from tests.support.chat_setup import chat_on_fake_openai
from tests.support.fake_openai import FakeOpenAI, Script

Login = Callable[..., Awaitable[Account]]


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['The ', 'tide ', 'turns.'])
    fake_openai.requests.clear()


async def _chat(owner: Account, fake: FakeOpenAI) -> str:
    services = runtime.services()
    chat = await chat_on_fake_openai(services, owner, fake)
    book = await services.lorebooks.create(owner, LorebookFields(name='Sea'))
    await services.lorebooks.create_entry(owner, book.id, {'comment': 'Tides', 'key': ['tide'],
                                                           'content': 'Tides here are deadly.'})
    await services.lorebooks.set_character_books(owner, chat.character_id, [book.id])
    return chat.id


async def _menu(user: User, action: str) -> None:
    user.find(marker='chat-menu').click()
    user.find(marker=action).click()


async def test_authors_note_is_saved_in_the_chat_metadata(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    await _menu(user, 'authors-note-open')
    await user.should_see(marker='authors-note')
    user.find(marker='note-text').type('Mira speaks in riddles.')
    user.find(marker='note-interval').elements.pop().value = 2
    user.find(marker='note-depth').elements.pop().value = 1
    user.find(marker='save-note').click()
    await user.should_see('Author\'s note saved')
    meta = (await runtime.services().chats.get(alice, chat_id)).meta
    assert (meta['note_prompt'], meta['note_interval'], meta['note_depth']) == ('Mira speaks in riddles.', 2, 1)


async def test_preview_shows_blocks_and_fired_entries_and_a_reply_keeps_them(user: User, login: Login,
                                                                           fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    await user.open(f'/chat/{chat_id}')
    user.find(marker='chat-input').type('When does the tide come?')
    user.find(marker='send').click()
    await user.should_see('The tide turns.', retries=100)
    await user.should_see(marker='world-info-2')
    user.find(marker='world-info-2').click()
    await user.should_see(marker='world-info-fired')
    await user.should_see('Sea · Tides')
    await user.should_see('key matched: tide')
    await _menu(user, 'prompt-preview-open')
    await user.should_see(marker='prompt-preview')
    await user.should_see(marker='preview-block-main')
    await user.should_see(marker='preview-block-worldInfoBefore')
    messages = user.find(marker='preview-message').elements
    assert len(messages) == len(fake_openai.requests[-1]['messages']) + 1  # the reply just written
    labels = [element.text for element in user.find(ui.label).elements]
    assert 'Tides here are deadly.' in labels and 'When does the tide come?' in labels


async def test_character_notes_are_edited_in_the_character_editor(user: User, login: Login,
                                                                  fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    chat_id = await _chat(alice, fake_openai)
    character_id = (await runtime.services().chats.get(alice, chat_id)).character_id
    await user.open(f'/characters/{character_id}')
    await user.should_see(marker='character-notes')
    user.find(marker='character-depth-prompt').type('{{char}} hums sea shanties.')
    user.find(marker='character-authors-note').type('Mira is wary.')
    user.find(marker='save-character-notes').click()
    await user.should_see('Notes saved')
    card = (await runtime.services().characters.get(alice, character_id)).card
    assert card['data']['extensions']['depth_prompt']['prompt'] == '{{char}} hums sea shanties.'
    assert card['data']['extensions']['tavernai_plus']['authors_note']['prompt'] == 'Mira is wary.'
