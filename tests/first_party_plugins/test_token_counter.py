"""The token and cost counter: the price table, counts of real replies from the fake OpenAI server per chat and per
month, the side panel on the chat page, the monthly page, and the packaging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select
from token_counter import plugin, usage
from token_counter.prices import DEFAULT_PRICES, PriceTable, parse_price

from app import runtime
from app.db.models import Message
from app.errors import InvalidInputError
from app.services.character_card import CharacterFields
from app.services.connections import ConnectionFields
from app.services.container import Services
from plugins.sdk.testing import plugin_harness
from tests.first_party_plugins.first_party_checks import (
    chat_on_fake_openai,
    check_packaging,
)
from tests.support.fake_openai import FakeOpenAI, Script

PRICED = {'currency': 'EUR', 'prices': ['fake-* = 1 / 2', 'fake-model = 1000 / 2000']}


@pytest.fixture(autouse=True)
def reset(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script(tokens=['Hello', ' there', '!'])
    fake_openai.requests.clear()


@pytest.mark.parametrize(('model', 'pattern'), [
    ('gpt-4o', 'gpt-4o*'), ('gpt-4o-mini-2024-07-18', 'gpt-4o-mini*'), ('openai/gpt-4.1-mini', 'gpt-4.1-mini*'),
    ('Claude-Sonnet-4-20250514', 'claude-sonnet-4*'), ('deepseek-chat', 'deepseek-chat'), ('llama-3-8b', None)])
def test_the_most_specific_price_line_wins(model: str, pattern: str | None) -> None:
    price = PriceTable(DEFAULT_PRICES).price_for(model)
    assert (price.pattern if price else None) == pattern


def test_an_exact_line_beats_a_longer_pattern_and_costs_are_per_million() -> None:
    table = PriceTable(['fake-model-long* = 9 / 9', 'fake-model = 1000 / 2000'])
    price = table.price_for('fake-model')
    assert price is not None and price.cost(22, 6) == pytest.approx(0.034)


@pytest.mark.parametrize('line', ['gpt-4o 2.5 / 10', 'gpt-4o = two / 10', 'gpt-4o = 2.5', '= 1 / 2'])
def test_a_malformed_price_line_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match='model = input price / output price'):
        parse_price(line)


async def test_settings_with_a_bad_line_are_refused() -> None:
    async with plugin_harness(plugin) as h:
        with pytest.raises(InvalidInputError):
            await h.services.plugins.write_settings(h.plugin_id, 'admin', {'prices': ['gpt-4o = cheap']})
        assert h.ctx.settings().prices == DEFAULT_PRICES
        (links,) = await h.call('menu_links', user=h.user)
        assert [link.href for link in links] == ['/p/token_counter/']


async def reply(services: Services, owner: object, chat_id: str, text: str) -> None:
    await services.generation.send(owner, chat_id, text)
    await services.generation.wait(chat_id)


async def move_to(services: Services, message_id: int, moment: datetime) -> None:
    async with services.db.session() as session:
        message = (await session.exec(select(Message).where(Message.id == message_id))).one()
        message.created_at = moment
        session.add(message)
        await session.commit()


async def test_a_chat_counts_the_tokens_of_its_replies(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin, settings=PRICED) as h:
        chat = await chat_on_fake_openai(h, fake_openai)
        assert (await usage.chat_usage(h.ctx, h.user, chat.id)).replies == 0
        await reply(h.services, h.user, chat.id, 'Hi')
        fake_openai.script = Script(tokens=['Fine', '.'])
        await reply(h.services, h.user, chat.id, 'How are you?')
        found = await usage.chat_usage(h.ctx, h.user, chat.id)
    assert (found.replies, found.prompt_tokens, found.completion_tokens) == (2, 22, 5)
    assert list(found.models) == ['fake-model']
    cost, unpriced = found.cost(PriceTable(PRICED['prices']))
    assert cost == pytest.approx((22 * 1000 + 5 * 2000) / 1_000_000) and unpriced == []
    assert found.cost(PriceTable(DEFAULT_PRICES)) == (0.0, ['fake-model'])


async def test_the_months_add_up_every_chat(fake_openai: FakeOpenAI) -> None:
    async with plugin_harness(plugin, settings=PRICED) as h:
        first = await chat_on_fake_openai(h, fake_openai)
        second = await h.chat('Bram')
        await reply(h.services, h.user, first.id, 'Hi')
        await reply(h.services, h.user, second.id, 'Hi')
        await reply(h.services, h.user, second.id, 'Again')
        last = (await h.ctx.services.chat_messages(h.user, second.id))[-1]
        await move_to(h.services, last.id, datetime(2025, 12, 31, 23, 0, tzinfo=UTC))
        months, complete = await usage.monthly_usage(h.ctx, h.user)
    now = f'{datetime.now(UTC):%Y-%m}'
    assert complete and list(months) == [now, '2025-12']
    assert (months[now].replies, months[now].prompt_tokens) == (2, 22)
    assert (months['2025-12'].replies, months['2025-12'].completion_tokens) == (1, 3)


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    check_packaging('token_counter')


async def chat_with_replies(login, fake_openai: FakeOpenAI) -> str:
    owner = await login('alice')
    services = runtime.services()
    await services.plugins.load_modules([plugin.__name__])
    await services.plugins.write_settings(plugin.__name__.split('.')[0], 'admin', PRICED)
    await services.connections.create(owner, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                              base_url=fake_openai.base_url, is_default=True))
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(owner, character.id)
    await reply(services, owner, chat.id, 'Hi')
    await reply(services, owner, chat.id, 'And?')
    return chat.id


async def test_the_side_panel_shows_the_chat_tokens_and_cost(user: User, login, fake_openai: FakeOpenAI) -> None:
    chat_id = await chat_with_replies(login, fake_openai)
    await user.open(f'/chat/{chat_id}')
    await user.should_see(marker='token-counter')
    await user.should_see('Prompt 22 · completion 6')
    await user.should_see('28 tokens in 2 replies')
    await user.should_see('About 0.0340 EUR')


async def test_the_page_lists_the_months_and_models(user: User, login, fake_openai: FakeOpenAI) -> None:
    await chat_with_replies(login, fake_openai)
    await user.open('/p/token_counter/')
    await user.should_see(marker='token-counter-months')
    (months,) = user.find(marker='token-counter-months').elements
    assert isinstance(months, ui.table)
    assert [(row['month'], row['replies'], row['total'], row['cost']) for row in months.rows] == [
        (f'{datetime.now(UTC):%Y-%m}', 2, '28', '0.0340 EUR')]
    (models,) = user.find(marker='token-counter-models').elements
    assert [row['model'] for row in models.rows] == ['fake-model']
