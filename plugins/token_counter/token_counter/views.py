"""The side panel card (this chat's tokens and cost) and the page (the user's tokens and cost per month and per
model)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from plugins.sdk import PluginContext, PluginPage

from . import usage
from .plugin import PAGE, price_table
from .prices import PriceTable
from .usage import Usage


def money(amount: float, currency: str) -> str:
    """Small amounts keep four decimals (a chat often costs a fraction of a cent)."""
    return f'{amount:,.4f} {currency}' if amount < 1 else f'{amount:,.2f} {currency}'


class ChatTokens:
    def __init__(self, ctx: PluginContext, user: Any, chat_id: str, locale: str) -> None:
        self.ctx = ctx
        self.user = user
        self.chat_id = chat_id
        self.locale = locale

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.locale, **params)

    async def build(self) -> None:
        with ui.card().classes('w-full gap-1').props('flat bordered').mark('token-counter'):
            with ui.row().classes('w-full items-center no-wrap'):
                ui.label(self.t('sidebar.title')).classes('text-base font-semibold')
                ui.space()
                label = self.t('refresh')
                ui.button(icon='refresh', on_click=self.show).props(f'flat round dense aria-label="{label}"') \
                    .mark('token-counter-refresh').tooltip(label)
            self.body = ui.column().classes('w-full gap-0')
            ui.link(self.t('sidebar.monthly'), PAGE).classes('text-sm').mark('token-counter-monthly')
        await self.show()

    async def show(self) -> None:
        found = await usage.chat_usage(self.ctx, self.user, self.chat_id)
        currency = self.ctx.settings().currency
        self.body.clear()
        with self.body:
            if not found.replies:
                ui.label(self.t('sidebar.none')).classes('text-sm opacity-70').mark('token-counter-none')
                return
            ui.label(self.t('tokens', prompt=f'{found.prompt_tokens:,}', completion=f'{found.completion_tokens:,}')) \
                .classes('text-sm').mark('token-counter-tokens')
            ui.label(self.t('total', total=f'{found.total_tokens:,}', replies=found.replies)).classes('text-sm') \
                .mark('token-counter-total')
            cost, unpriced = found.cost(price_table(self.ctx))
            if len(unpriced) < len(found.models):
                ui.label(self.t('cost', cost=money(cost, currency))).classes('font-semibold') \
                    .mark('token-counter-cost')
            if unpriced:
                names = ', '.join(model or self.t('unknown_model') for model in unpriced)
                ui.label(self.t('unpriced', models=names)).classes('text-xs opacity-70') \
                    .mark('token-counter-unpriced')


class MonthlyPage:
    def __init__(self, ctx: PluginContext, page: PluginPage) -> None:
        self.ctx = ctx
        self.page = page

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.page.locale, **params)

    async def build(self) -> None:
        ui.label(self.t('page.title')).classes('text-2xl font-bold')
        months, complete = await usage.monthly_usage(self.ctx, self.page.user)
        if not complete:
            ui.label(self.t('page.partial', count=usage.MAX_MESSAGES)).classes('text-warning') \
                .mark('token-counter-partial')
        if not months:
            ui.label(self.t('page.empty')).classes('opacity-70').mark('token-counter-empty')
            return
        table = price_table(self.ctx)
        currency = self.ctx.settings().currency
        rows = [self._row(month, found, table, currency) for month, found in months.items()]
        ui.table(columns=self._columns('month'), rows=rows, row_key='key').classes('w-full') \
            .mark('token-counter-months')
        everything = Usage()
        for found in months.values():
            everything.merge(found)
        ui.label(self.t('page.by_model')).classes('text-lg font-semibold')
        model_rows = [self._row(item.model or self.t('unknown_model'), Usage({item.model: item}), table, currency)
                      for item in sorted(everything.models.values(), key=lambda item: -item.total_tokens)]
        ui.table(columns=self._columns('model'), rows=model_rows, row_key='key').classes('w-full') \
            .mark('token-counter-models')
        ui.label(self.t('page.note', currency=currency)).classes('text-xs opacity-70')

    def _columns(self, first: str) -> list[dict[str, str]]:
        return [{'name': name, 'label': self.t(f'column.{name}'), 'field': name,
                 'align': 'left' if name == first else 'right'}
                for name in (first, 'replies', 'prompt', 'completion', 'total', 'cost')]

    def _row(self, key: str, found: Usage, table: PriceTable, currency: str) -> dict[str, Any]:
        cost, unpriced = found.cost(table)
        shown = money(cost, currency) if len(unpriced) < len(found.models) else '—'
        return {'key': key, 'month': key, 'model': key, 'replies': found.replies,
                'prompt': f'{found.prompt_tokens:,}', 'completion': f'{found.completion_tokens:,}',
                'total': f'{found.total_tokens:,}', 'cost': shown + (' *' if unpriced and shown != '—' else '')}
