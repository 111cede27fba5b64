"""The character library: a searchable, filterable grid of the user's characters, loaded one page at a time.

An empty library explains how to start: create a character, or add one of the bundled sample characters.
"""

from __future__ import annotations

import asyncio

from nicegui import ui

from app.errors import TavernError
from app.services.characters import CharacterQuery, CharacterSummary
from components.card_import_dialog import CardImportDialog
from components.character_tile import character_tile
from components.debouncer import Debouncer
from components.page_context import PageContext
from components.plugin_slot import COLUMN, plugin_slot, slot_target
from components.sample_card import sample_card

from .registry import page

PAGE_SIZE = 48
SEARCH_DELAY = 0.3
MAX_SEARCH_LENGTH = 200
GRID_CLASSES = 'w-full grid grid-cols-1 sm:grid-cols-2 md:grid-cols-3 lg:grid-cols-4 gap-4'
SORT_KEYS = {'recent': 'library.sort.recent', 'name': 'library.sort.name', 'chats': 'library.sort.chats'}


@page('/', title_key='nav.library')
async def library_page(ctx: PageContext) -> None:
    await LibraryView(ctx).build()


class LibraryView:
    """The controls, the grid and the paging of one library page load."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.query = CharacterQuery(limit=PAGE_SIZE)
        self.shown = 0
        self.total = 0
        self.lock = asyncio.Lock()
        self.debouncer = Debouncer(SEARCH_DELAY, self.reload)

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(t('library.title')).classes('text-2xl font-bold')
            ui.space()
            importer = CardImportDialog(self.ctx, self.reload)
            ui.button(t('card_import.button'), icon='upload_file', on_click=importer.open).props('outline') \
                .mark('import-characters')
            ui.button(t('library.new'), icon='add', on_click=lambda: ui.navigate.to('/characters/new')) \
                .mark('new-character')
        await plugin_slot(self.ctx, 'home.sections', slot_target(self.ctx, 'home.sections'), classes=COLUMN)
        self.controls = ui.column().classes('w-full gap-2')
        with self.controls:
            self._filters()
            self.tag_row = ui.row().classes('w-full gap-1')
        self.notice = ui.column().classes('w-full')
        self.grid = ui.element('div').classes(GRID_CLASSES).mark('character-grid')
        self.more = ui.button(t('library.load_more'), icon='expand_more', on_click=self.load_more) \
            .props('outline').classes('self-center').mark('load-more')
        await self.reload()

    def _filters(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            self.search = ui.input(placeholder=t('library.search'), on_change=self.debouncer.trigger) \
                .props('clearable outlined dense').classes('grow min-w-[12rem]').mark('search')
            with self.search.add_slot('prepend'):
                ui.icon('search')
            self.search.on('keydown.enter', self.reload)
            self.sort = ui.select({key: t(label) for key, label in SORT_KEYS.items()}, value='recent',
                                  label=t('library.sort'), on_change=self.reload) \
                .props('outlined dense').classes('w-48').mark('sort')
            self.favorites_only = ui.switch(t('library.favorites_only'), on_change=self.reload).mark('favorites-only')

    async def reload(self) -> None:
        """Show the first page for the current search, tag, sort and favourite settings."""
        async with self.lock:
            self.query = self._current_query()
            result = await self.ctx.services.characters.search(self.ctx.user, self.query)
            await self._show_tags()
            self.grid.clear()
            self.shown = 0
            self._append(result.items)
            self.total = result.total
            self._update_notice()

    async def load_more(self) -> None:
        async with self.lock:
            query = self.query.model_copy(update={'offset': self.shown})
            result = await self.ctx.services.characters.search(self.ctx.user, query)
            self._append(result.items)
            self.total = result.total
            self.more.visible = self.shown < self.total

    def _current_query(self) -> CharacterQuery:
        text = (self.search.value or '').strip()[:MAX_SEARCH_LENGTH]
        return CharacterQuery(text=text, tag=self.query.tag, sort=self.sort.value,
                              favorites_only=self.favorites_only.value, limit=PAGE_SIZE)

    def _append(self, items: list[CharacterSummary]) -> None:
        with self.grid:
            for item in items:
                character_tile(self.ctx, item, self._set_favorite)
        self.shown += len(items)

    async def _show_tags(self) -> None:
        tags = await self.ctx.services.characters.list_tags(self.ctx.user)
        self.tag_row.clear()
        with self.tag_row:
            for tag in tags:
                selected = tag.lower() == self.query.tag.lower()
                ui.chip(tag, icon='sell', selectable=True, selected=selected,
                        on_click=lambda tag=tag: self._choose_tag(tag)) \
                    .props('dense' + ('' if selected else ' outline')).classes('m-0').mark('tag-filter')

    async def _choose_tag(self, tag: str) -> None:
        """Filter by `tag`, or stop filtering when it is already the chosen one."""
        self.query = self.query.model_copy(update={'tag': '' if tag.lower() == self.query.tag.lower() else tag})
        await self.reload()

    def _update_notice(self) -> None:
        filtered = bool(self.query.text or self.query.tag or self.query.favorites_only)
        library_empty = self.total == 0 and not filtered
        self.controls.visible = not library_empty
        self.more.visible = self.shown < self.total
        self.notice.clear()
        with self.notice:
            if library_empty:
                self._empty_state()
            elif self.total == 0:
                ui.label(self.ctx.t('library.no_matches')).classes('opacity-70').mark('no-matches')

    def _empty_state(self) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full gap-3').mark('empty-state'):
            ui.label(t('library.empty.title')).classes('text-xl font-bold')
            ui.label(t('library.empty.intro'))
            ui.button(t('library.empty.create'), icon='add', on_click=lambda: ui.navigate.to('/characters/new')) \
                .mark('empty-create')
            ui.label(t('library.samples.title')).classes('text-lg font-bold mt-2')
            ui.label(t('library.samples.intro')).classes('text-sm opacity-80')
            with ui.element('div').classes(GRID_CLASSES):
                for sample in self.ctx.services.characters.samples():
                    sample_card(self.ctx, sample, self._add_sample)

    async def _add_sample(self, slug: str) -> bool:
        try:
            character = await self.ctx.services.characters.add_sample(self.ctx.user, slug)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return False
        ui.notify(self.ctx.t('library.samples.added', name=character.name), type='positive')
        await self.reload()
        return True

    async def _set_favorite(self, character_id: str, favorite: bool) -> bool:
        try:
            await self.ctx.services.characters.set_favorite(self.ctx.user, character_id, favorite)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return False
        return True
