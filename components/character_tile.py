"""One character in the library grid: picture, name, tags, short description, a favourite star and a Chat button.

The picture and the name are links to the character's page; the card carries the marker `tile-<id>` so tests and
scripts can address one tile among many.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.services.characters import CharacterSummary

from .avatar import avatar
from .page_context import PageContext

FavoriteHandler = Callable[[str, bool], Awaitable[bool]]


def character_tile(ctx: PageContext, character: CharacterSummary, on_favorite: FavoriteHandler) -> ui.card:
    """A card for `character`; `on_favorite(id, wanted)` stores the star and returns whether that worked."""
    url = f'/characters/{character.id}'
    with ui.card().classes('w-full gap-2 p-3').mark(f'character-tile tile-{character.id}') as card:
        with ui.link(target=url).classes('w-full no-underline text-inherit') as picture_link:
            avatar(character.name, character.thumbnail_url, size_classes='w-full h-40 text-6xl')
        picture_link.props['aria-label'] = character.name
        with ui.row().classes('w-full items-center no-wrap gap-1'):
            ui.link(character.name, url).classes('text-lg font-bold no-underline text-inherit truncate grow') \
                .mark('tile-name')
            FavoriteStar(ctx, character, on_favorite)
        if character.tags:
            with ui.row().classes('gap-1'):
                for tag in character.tags:
                    ui.chip(tag).props('dense outline').classes('text-xs m-0').mark('tile-tag')
        if character.short_description:
            ui.label(character.short_description).classes('text-sm opacity-80 line-clamp-3 break-words') \
                .mark('tile-description')
        ui.button(ctx.t('chat.open'), icon='chat', on_click=lambda: ui.navigate.to(f'{url}/chat')) \
            .props('outline dense').classes('self-start').mark('tile-chat')
    return card


class FavoriteStar:
    """The star button; it only changes after the new state has been stored."""

    def __init__(self, ctx: PageContext, character: CharacterSummary, on_favorite: FavoriteHandler) -> None:
        self.ctx = ctx
        self.character_id = character.id
        self.on_favorite = on_favorite
        self.favorite = character.favorite
        self.button = ui.button(on_click=self.toggle).props('flat round dense color=amber').mark('favorite-toggle')
        with self.button:
            self.tooltip = ui.tooltip('')
        self._show()

    async def toggle(self) -> None:
        if await self.on_favorite(self.character_id, not self.favorite):
            self.favorite = not self.favorite
            self._show()

    def _show(self) -> None:
        label = self.ctx.t('library.unfavorite' if self.favorite else 'library.favorite')
        self.button.props['icon'] = 'star' if self.favorite else 'star_border'
        self.button.props['aria-label'] = label
        self.tooltip.text = label
