"""Character library (placeholder until the library page lands)."""

from __future__ import annotations

from nicegui import ui

from components.page_context import PageContext

from .registry import page


@page('/', title_key='nav.library')
async def library_page(ctx: PageContext) -> None:
    ui.label(ctx.t('nav.library')).classes('text-2xl')
