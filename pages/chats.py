"""The Chats page: every chat of the user, newest first, filtered by character or searched by message text.

Chats can be selected (also across search results and "load more" pages) and then exported as one zip of
SillyTavern JSONL files, or deleted after a confirmation; both act on all selected chats or on none.
"""

from __future__ import annotations

import asyncio

from nicegui import ui

from app.errors import TavernError
from app.services.chat_search import MAX_QUERY_LENGTH, ChatListing
from components.avatar import avatar
from components.chat_search_results import chat_hits_card
from components.confirm_dialog import confirm
from components.debouncer import Debouncer
from components.page_context import PageContext

from .registry import page

PAGE_SIZE = 30
SEARCH_DELAY = 0.4
ALL_CHARACTERS = ''


@page('/chats', title_key='nav.chats')
async def chats_page(ctx: PageContext) -> None:
    await ChatsView(ctx).build()


class ChatsView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.selected: set[str] = set()
        self.cursor: str | None = None
        self.shown = 0
        self.query = ''
        self.lock = asyncio.Lock()
        self.debouncer = Debouncer(SEARCH_DELAY, self.reload)

    async def build(self) -> None:
        t = self.ctx.t
        ui.label(t('nav.chats')).classes('text-2xl font-bold')
        characters = await self.ctx.services.chat_search.characters_with_chats(self.ctx.user)
        with ui.row().classes('w-full items-center gap-2'):
            self.search = ui.input(placeholder=t('chat_search.placeholder'), on_change=self.debouncer.trigger) \
                .props(f'clearable outlined dense maxlength={MAX_QUERY_LENGTH}').classes('grow min-w-[12rem]') \
                .mark('chat-search-input')
            with self.search.add_slot('prepend'):
                ui.icon('search')
            self.search.on('keydown.enter', self.reload)
            options = {ALL_CHARACTERS: t('chats_page.all_characters'), **{c.id: c.name for c in characters}}
            self.character = ui.select(options, value=ALL_CHARACTERS, label=t('chats_page.character'),
                                       on_change=self.reload).props('outlined dense').classes('w-56') \
                .mark('character-filter')
        self._selection_bar()
        self.results = ui.column().classes('w-full gap-2').mark('chat-results')
        self.more = ui.button(t('chats_page.load_more'), icon='expand_more', on_click=self.load_more) \
            .props('outline').classes('self-center').mark('load-more-chats')
        await self.reload()

    def _selection_bar(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            self.selected_label = ui.label(t('chats_page.selected', count=0)).mark('selected-chats')
            ui.space()
            self.export_button = ui.button(t('chats_page.export_selected'), icon='download',
                                           on_click=self.export_selected).props('outline').mark('export-selected')
            self.delete_button = ui.button(t('chats_page.delete_selected'), icon='delete',
                                           on_click=self.delete_selected).props('color=negative') \
                .mark('delete-selected-chats')
        self._update_selection()

    async def reload(self) -> None:
        """Show the first page: search results when there is a query, otherwise every chat."""
        async with self.lock:
            self.query = (self.search.value or '').strip()[:MAX_QUERY_LENGTH]
            self.cursor, self.shown = None, 0
            self.results.clear()
            await self._load_page()

    async def load_more(self) -> None:
        async with self.lock:
            await self._load_page()

    async def _load_page(self) -> None:
        character_id = self.character.value or None
        with self.results:
            if self.query:
                found = await self.ctx.services.chat_search.search(self.ctx.user, self.query, limit=PAGE_SIZE,
                                                                   character_id=character_id, cursor=self.cursor)
                for chat in found.items:
                    chat_hits_card(self.ctx, chat, selected=chat.chat_id in self.selected, on_select=self.select)
                self.cursor, self.shown = found.next_cursor, self.shown + len(found.items)
            else:
                listed = await self.ctx.services.chat_search.browse(self.ctx.user, character_id=character_id,
                                                                    limit=PAGE_SIZE, cursor=self.cursor)
                for listing in listed.items:
                    self._row(listing)
                self.cursor, self.shown = listed.next_cursor, self.shown + len(listed.items)
            if not self.shown:
                ui.label(self.ctx.t('chat_search.no_results' if self.query else 'chats_page.empty')) \
                    .classes('opacity-70').mark('no-chats')
        self.more.visible = self.cursor is not None

    def _row(self, chat: ChatListing) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full').mark(f'chat-listing-{chat.id}'), \
                ui.row().classes('w-full items-center no-wrap gap-3'):
            ui.checkbox(value=chat.id in self.selected, on_change=lambda e: self.select(chat.id, e.value)) \
                .props(f'dense aria-label="{t("chats_page.select_chat")}"').mark(f'select-chat-{chat.id}')
            avatar(chat.character_name, chat.thumbnail_url, size_classes='w-10 h-10 text-lg')
            with ui.column().classes('grow gap-0 min-w-0'):
                ui.link(chat.title, f'/chat/{chat.id}').classes('font-bold truncate text-inherit')
                ui.label(chat.character_name).classes('text-sm opacity-70')
            with ui.column().classes('items-end gap-0 shrink-0 text-xs opacity-70'):
                ui.label(t('chats_page.messages', count=chat.message_count))
                ui.label(f'{chat.updated_at:%Y-%m-%d %H:%M}')

    def select(self, chat_id: str, selected: bool) -> None:
        if selected:
            self.selected.add(chat_id)
        else:
            self.selected.discard(chat_id)
        self._update_selection()

    async def export_selected(self) -> None:
        try:
            download = await self.ctx.services.chat_bulk.export_zip(self.ctx.user, sorted(self.selected))
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        ui.download.content(download.content, download.filename, download.media_type)

    async def delete_selected(self) -> None:
        t = self.ctx.t
        count = len(self.selected)
        if not await confirm(t('chats_page.delete_question', count=count), ok_label=t('chats_page.delete'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        try:
            deleted = await self.ctx.services.chat_bulk.delete(self.ctx.user, sorted(self.selected))
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        self.selected.clear()
        self._update_selection()
        ui.notify(t('chats_page.deleted', count=deleted), type='positive')
        await self.reload()

    def _update_selection(self) -> None:
        self.selected_label.text = self.ctx.t('chats_page.selected', count=len(self.selected))
        self.export_button.set_enabled(bool(self.selected))
        self.delete_button.set_enabled(bool(self.selected))
