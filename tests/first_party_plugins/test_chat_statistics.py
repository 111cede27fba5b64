"""Chat statistics: CJK-aware counting, the statistics of a chat and of all chats read through the SDK, the side
panel on the chat page, the statistics page with its chart, and the packaging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from chat_statistics import collect, plugin
from chat_statistics.counting import Stats, chat_stats, count_characters, count_words
from chat_statistics.views import daily_series
from nicegui import ui
from nicegui.testing import User

from app import runtime
from app.db.models import User as Account
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.container import Services
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging

NAMES = {'user': 'You', 'assistant': 'Character'}


@pytest.mark.parametrize(('text', 'words', 'characters'), [
    ('Hello, world!', 2, 12),
    ('你好，世界！', 4, 6),
    ("Don't stop — it's well-known.", 4, 25),
    ('我爱 Python 3 和 AI', 6, 12),
    ('こんにちは世界', 7, 7),
    ('안녕하세요 세계', 2, 7),
    ('  \n\t ', 0, 0),
])
def test_words_and_characters_are_counted_per_language(text: str, words: int, characters: int) -> None:
    assert (count_words(text), count_characters(text)) == (words, characters)


@dataclass
class Line:
    id: int
    role: str
    name: str
    content: str
    created_at: datetime | None


def test_a_chat_is_summed_by_speaker_without_hidden_notes() -> None:
    day = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    stats = chat_stats('c1', [Line(1, 'assistant', 'Mira', '你好，旅行者。', day),
                              Line(2, 'user', '', 'Hi there Mira', day),
                              Line(3, 'system', '/roll', 'rolled 17 and many more words here', day),
                              Line(4, 'assistant', 'Mira', 'Welcome to the forest, friend.',
                                   datetime(2026, 3, 3, 1, 0, tzinfo=UTC))], NAMES)
    assert [(speaker.name, speaker.messages, speaker.words) for speaker in stats.ranked_speakers()] == [
        ('Mira', 2, 10), ('You', 1, 3)]
    assert (stats.messages, stats.words, stats.average_reply_words) == (3, 13, 5.0)
    assert stats.longest is not None and (stats.longest.message_id, stats.longest.speaker) == (4, 'Mira')
    assert stats.per_day == {date(2026, 3, 1): 2, date(2026, 3, 3): 1}
    assert daily_series(stats.per_day) == (['2026-03-01', '2026-03-02', '2026-03-03'], [2, 0, 1])


def test_the_chart_shows_at_most_the_last_ninety_days() -> None:
    days, counts = daily_series({date(2025, 1, 1): 5, date(2026, 1, 1): 2})
    assert len(days) == 90 and days[-1] == '2026-01-01' and counts[-1] == 2 and sum(counts) == 2
    assert daily_series(Stats().per_day) == ([], [])


async def add_chat(services: Services, owner: Account, name: str, lines: list[tuple[str, str]],
                   character_id: str | None = None) -> str:
    """A chat with a new character `name` (or with `character_id`) holding `lines` after the greeting."""
    if character_id is None:
        character_id = (await services.characters.create(owner, CharacterFields(name=name,
                                                                                 first_mes=f'I am {name}.'))).id
    chat = await services.chats.start(owner, character_id)
    for role, content in lines:
        await services.chats.append(owner, chat.id, NewMessage(role=role, content=content,
                                                               name=name if role == 'assistant' else 'Lin'))
    return chat.id


async def test_a_long_chat_is_read_page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, 'PAGE', 3)
    async with plugin_harness(plugin) as h:
        chat_id = await add_chat(h.services, h.user, 'Mira', [('user', f'message {n}') for n in range(7)])
        messages, complete = await collect.read_chat(h.ctx, h.user, chat_id)
        partial, partial_complete = await collect.read_chat(h.ctx, h.user, chat_id, budget=4)
    assert complete and [message.content for message in messages] == ['I am Mira.'] + [f'message {n}'
                                                                                        for n in range(7)]
    assert not partial_complete and [message.content for message in partial][-1] == 'message 6'


async def test_the_overview_merges_every_chat_and_ranks_the_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    async with plugin_harness(plugin) as h:
        first = await add_chat(h.services, h.user, 'Mira', [('user', '你好'), ('assistant', '你好呀，今天想做什么？')])
        await add_chat(h.services, h.user, 'Bram', [('user', 'Hi'), ('assistant', 'Hello'), ('user', 'Bye')])
        mira = (await h.services.chats.get(h.user, first)).character_id
        await add_chat(h.services, h.user, 'Mira', [('user', 'Again')], character_id=mira)
        found = await collect.overview(h.ctx, h.user, 'Lin')
        monkeypatch.setattr(collect, 'MAX_MESSAGES', 4)
        capped = await collect.overview(h.ctx, h.user, 'Lin')
    assert found.complete and found.stats.chats == 3
    assert [(item.name, item.messages, item.chats) for item in found.characters] == [('Mira', 5, 2), ('Bram', 4, 1)]
    assert {(speaker.name, speaker.messages) for speaker in found.stats.ranked_speakers()} == {
        ('Lin', 4), ('Mira', 3), ('Bram', 2)}
    assert found.stats.longest.speaker == 'Mira' and found.stats.per_day.total() == 9
    assert not capped.complete and capped.stats.messages < 9


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    check_packaging('chat_statistics')


async def test_the_side_panel_summarises_the_chat(user: User, login) -> None:
    owner = await login('alice')
    services = runtime.services()
    await services.plugins.load_modules([plugin.__name__])
    chat_id = await add_chat(services, owner, 'Mira', [('user', 'Hello there'), ('assistant', '你好，朋友！欢迎。')])
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='chat-statistics')
    await user.should_see('3 messages')
    await user.should_see('Mira 2 · Lin 1')
    await user.should_see('Replies: 5 words on average')
    await services.chats.append(owner, chat_id, NewMessage(role='user', content='One more'))
    user.find(marker='chat-statistics-refresh').click()
    await user.should_see('4 messages')
    link = user.find(marker='chat-statistics-more').elements.pop()
    assert isinstance(link, ui.link) and link.props['href'] == f'/p/chat_statistics/?chat={chat_id}'


async def test_the_page_shows_all_chats_with_a_chart_and_one_chat_on_request(user: User, login) -> None:
    owner = await login('alice')
    services = runtime.services()
    await services.plugins.load_modules([plugin.__name__])
    chat_id = await add_chat(services, owner, 'Mira', [('user', 'Hello'), ('assistant', 'Hi!')])
    await add_chat(services, owner, 'Bram', [('user', 'Yo')])
    await user.open('/p/chat_statistics/')
    await user.should_see('Statistics of all my chats')
    await user.should_see(marker='figure-chats')
    (chart,) = user.find(marker='stats-per-day').elements
    assert isinstance(chart, ui.echart) and chart.options['series'][0]['data'] == [5]
    (ranking,) = user.find(marker='stats-characters-table').elements
    assert [(row['name'], row['messages']) for row in ranking.rows] == [('Mira', 3), ('Bram', 2)]
    await user.open(f'/p/chat_statistics/?chat={chat_id}')
    await user.should_see('Statistics of this chat')
    (speakers,) = user.find(marker='stats-speakers-table').elements
    assert [(row['name'], row['messages']) for row in speakers.rows] == [('Mira', 2), ('Lin', 1)]
    await user.open('/p/chat_statistics/?chat=nope')
    await user.should_see(marker='stats-no-chat')
