"""The creator dashboard: how many characters and chats the user has, and the widgets plugins add
(`creator.dashboard.widgets` slot), so statistics and tools for character creators have a home."""

from __future__ import annotations

from nicegui import ui

from app.services.characters import CharacterQuery
from components.page_context import PageContext
from components.plugin_slot import plugin_slot, slot_target

from .registry import page

WIDGETS = 'creator.dashboard.widgets'


@page('/creator', title_key='creator.title')
async def creator_page(ctx: PageContext) -> None:
    characters = (await ctx.services.characters.search(ctx.user, CharacterQuery(limit=1))).total
    chats = await ctx.services.chats.count(ctx.user)
    ui.label(ctx.t('creator.title')).classes('text-2xl font-bold')
    with ui.row().classes('w-full gap-4'):
        _figure(ctx.t('creator.characters'), characters, 'creator-characters')
        _figure(ctx.t('creator.chats'), chats, 'creator-chats')
    await plugin_slot(ctx, WIDGETS, slot_target(ctx, WIDGETS),
                      classes='w-full grid grid-cols-1 md:grid-cols-2 gap-4')


def _figure(label: str, value: int, marker: str) -> None:
    with ui.card().classes('min-w-[10rem] items-center'):
        ui.label(str(value)).classes('text-3xl font-bold').mark(marker)
        ui.label(label).classes('text-sm opacity-70')
