"""A bundled sample character offered in the empty library, with a button to copy it into the user's library."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.services.characters import SampleCharacter

from .avatar import avatar
from .page_context import PageContext


def sample_card(ctx: PageContext, sample: SampleCharacter, on_add: Callable[[str], Awaitable[bool]]) -> ui.card:
    """A card describing `sample`; its button calls `on_add(slug)`, which returns whether the sample was added."""
    with ui.card().classes('w-full gap-2 p-3').mark(f'sample-card sample-{sample.slug}') as card:
        with ui.row().classes('w-full items-center no-wrap gap-3'):
            avatar(sample.name, None, size_classes='w-12 h-12 text-2xl')
            ui.label(sample.name).classes('text-lg font-bold truncate')
        if sample.tags:
            with ui.row().classes('gap-1'):
                for tag in sample.tags:
                    ui.chip(tag).props('dense outline').classes('text-xs m-0')
        ui.label(sample.short_description).classes('text-sm opacity-80 break-words grow')
        add_button = ui.button(ctx.t('library.samples.add'), icon='library_add').classes('w-full') \
            .mark('add-sample')

        async def add() -> None:
            add_button.disable()
            if not await on_add(sample.slug):
                add_button.enable()

        add_button.on_click(add)
    return card
