"""Token and cost counter: the plugin's hooks.

The chat's side panel (`chat.sidebar`) shows the chat's prompt and completion tokens and their estimated cost; the
page `/p/token_counter/` shows the user's totals per month and per model. The administrator keeps the price table
and the currency in the plugin's settings (see `prices.py` for the table's lines).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from plugins.sdk import MenuLink, PluginContext, PluginPage, SlotBuilder, SlotTarget, hookimpl

from .prices import DEFAULT_PRICES, PriceTable, parse_price

SIDEBAR = 'chat.sidebar'
PAGE = '/p/token_counter/'


class Settings(BaseModel):
    currency: str = Field(default='USD', min_length=1, max_length=8, title='Currency',
                          description='The currency of the prices below, shown with every cost.')
    prices: list[str] = Field(default_factory=lambda: list(DEFAULT_PRICES), title='Prices per million tokens',
                              description='One model per line: "model = input price / output price"; * matches '
                                          'anything, as in "claude-sonnet-4* = 3 / 15".')

    @field_validator('prices')
    @classmethod
    def _prices_parse(cls, lines: list[str]) -> list[str]:
        kept = [line.strip() for line in lines if line.strip()]
        for line in kept:
            parse_price(line)
        return kept


def price_table(ctx: PluginContext) -> PriceTable:
    return PriceTable(ctx.settings().prices)


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> SlotBuilder | None:
    if slot != SIDEBAR:
        return None

    async def build(target: SlotTarget) -> None:
        from .views import ChatTokens

        if target.chat_id is not None:
            await ChatTokens(ctx, target.user, target.chat_id, target.locale).build()

    return build


@hookimpl
def menu_links(ctx: PluginContext, user: Any) -> list[MenuLink]:
    if user is None:
        return []
    return [MenuLink(PAGE, ctx.t('menu', user.locale or 'en'), 'toll')]


@hookimpl
def register_pages(ctx: PluginContext) -> dict[str, Any]:
    async def usage_page(page: PluginPage) -> None:
        from .views import MonthlyPage

        await MonthlyPage(ctx, page).build()

    return {'/': usage_page}
