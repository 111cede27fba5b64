"""The lorebook editor (`/lorebooks/{id}`): the book's name and description, its entries with a search box, each
entry opening into a form with every field, add / duplicate / delete, checkboxes for bulk edits (enable, disable,
delete, set position, set order) and export as a SillyTavern world file or a card's character book.

An entry's form is built only when the entry is opened, so a book with hundreds of entries opens quickly; the list
shows the first hundred entries and more on request.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from pydantic import ValidationError

from app.errors import NotFoundError, TavernError
from app.services.lorebooks.schemas import BulkEdit, LorebookRead, LorebookUpdate
from app.services.world_info.entry import WorldEntry
from components.confirm_dialog import confirm
from components.debouncer import Debouncer
from components.lorebook_entry_form import LorebookEntryForm, position_options, status_of
from components.page_context import PageContext

from .registry import page

PAGE_SIZE = 100
SEARCH_DELAY = 0.3
EXPORTS = (('world', 'lorebooks.export.world'), ('character_book', 'lorebooks.export.character_book'))
STATUS_ICONS = {'normal': 'vpn_key', 'constant': 'all_inclusive', 'vectorized': 'link'}


@page('/lorebooks/{lorebook_id}', title_key='lorebooks.editor.title')
async def lorebook_editor_page(ctx: PageContext, lorebook_id: str) -> None:
    try:
        book = await ctx.services.lorebooks.read(ctx.user, lorebook_id)
    except NotFoundError as error:
        ui.label(ctx.error_text(error)).classes('text-lg').mark('not-found')
        ui.link(ctx.t('lorebooks.back'), '/lorebooks')
        ui.context.client.status_code = 404
        return
    await LorebookEditor(ctx, book).build()


class LorebookEditor:
    def __init__(self, ctx: PageContext, book: LorebookRead) -> None:
        self.ctx = ctx
        self.book = book
        self.query = ''
        self.shown = PAGE_SIZE
        self.entries: list[WorldEntry] = []
        self.selected: set[int] = set()
        self.expansions: dict[int, ui.expansion] = {}
        self.search = Debouncer(SEARCH_DELAY, self.refresh)

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            ui.button(t('lorebooks.back'), icon='arrow_back', on_click=lambda: ui.navigate.to('/lorebooks')) \
                .props('flat').mark('lorebook-back')
            self.title = ui.label(self.book.name).classes('text-2xl font-bold break-all').mark('lorebook-title')
            ui.space()
            self._export_menu()
        self._details()
        with ui.row().classes('w-full items-center gap-2'):
            self.search_input = ui.input(placeholder=t('lorebooks.search'), on_change=self._search) \
                .props('dense outlined clearable').classes('grow').mark('entry-search')
            ui.button(t('lorebooks.entry.add'), icon='add', on_click=self.add_entry).mark('add-entry')
        self._bulk_bar()
        self.count = ui.label().classes('text-sm opacity-70').mark('entry-count')
        self.list = ui.column().classes('w-full gap-1').mark('entry-list')
        await self.refresh()

    def _export_menu(self) -> None:
        t = self.ctx.t
        with ui.button(t('lorebooks.export.button'), icon='download').props('outline').mark('lorebook-export'), \
                ui.menu():
            for fmt, label in EXPORTS:
                ui.menu_item(t(label), on_click=lambda fmt=fmt: ui.download.from_url(
                    f'/api/v1/lorebooks/{self.book.id}/export?format={fmt}')).mark(f'export-{fmt}')

    def _details(self) -> None:
        t = self.ctx.t
        with ui.expansion(t('lorebooks.details')).classes('w-full').mark('lorebook-details'):
            self.name_input = ui.input(t('lorebooks.name'), value=self.book.name).props('outlined dense') \
                .classes('w-full').mark('lorebook-name')
            self.description_input = ui.textarea(t('lorebooks.description'), value=self.book.description) \
                .props('outlined autogrow').classes('w-full').mark('lorebook-description')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.save'), on_click=self.save_details).mark('save-lorebook')

    def _bulk_bar(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2 flex-wrap').mark('bulk-bar'):
            self.select_all = ui.checkbox(t('lorebooks.bulk.select_all'), on_change=self._select_all) \
                .mark('select-all')
            self.selected_label = ui.label().classes('text-sm').mark('selected-count')
            self.bulk_buttons = [
                ui.button(t('lorebooks.bulk.enable'), on_click=lambda: self.bulk(disable=False)).props('flat dense')
                .mark('bulk-enable'),
                ui.button(t('lorebooks.bulk.disable'), on_click=lambda: self.bulk(disable=True)).props('flat dense')
                .mark('bulk-disable'),
                ui.button(t('lorebooks.bulk.delete'), on_click=self.bulk_delete).props('flat dense color=negative')
                .mark('bulk-delete'),
            ]
            self.bulk_position = ui.select(position_options(t), label=t('lorebooks.entry.position')) \
                .props('outlined dense').classes('w-48').mark('bulk-position')
            self.bulk_buttons.append(ui.button(t('lorebooks.bulk.set_position'), on_click=self._set_position)
                                     .props('flat dense').mark('bulk-set-position'))
            self.bulk_order = ui.number(t('lorebooks.entry.order'), precision=0).props('outlined dense') \
                .classes('w-28').mark('bulk-order')
            self.bulk_buttons.append(ui.button(t('lorebooks.bulk.set_order'), on_click=self._set_order)
                                     .props('flat dense').mark('bulk-set-order'))

    async def refresh(self) -> None:
        self.entries = await self.ctx.services.lorebooks.entries(self.ctx.user, self.book.id, self.query)
        self.selected &= {entry.uid for entry in self.entries}
        self.expansions = {}
        self.list.clear()
        with self.list:
            for entry in self.entries[:self.shown]:
                self._row(entry)
            if len(self.entries) > self.shown:
                ui.button(self.ctx.t('lorebooks.show_more'), on_click=self._show_more).props('flat') \
                    .classes('self-center').mark('show-more')
        self.count.text = self.ctx.t('lorebooks.entry_count', count=len(self.entries))
        self._show_selection()

    def _row(self, entry: WorldEntry) -> None:
        uid = entry.uid
        with ui.row().classes('w-full items-start no-wrap gap-1').mark(f'entry-row-{uid}'):
            ui.checkbox(value=uid in self.selected, on_change=lambda event, uid=uid: self._toggle(uid, event.value)) \
                .classes('mt-2').mark(f'select-entry-{uid}')
            expansion = ui.expansion(self._title(entry), caption=self._caption(entry),
                                     icon=STATUS_ICONS[status_of(entry)]) \
                .classes('grow min-w-0 border rounded').props('dense').mark(f'entry-{uid}')
            expansion.on_value_change(lambda event, entry=entry, expansion=expansion: self._open(entry, expansion,
                                                                                                 event.value))
            self.expansions[uid] = expansion

    def _open(self, entry: WorldEntry, expansion: ui.expansion, opened: bool) -> None:
        """Build the entry's form the first time it is opened."""
        if not opened or expansion.default_slot.children:
            return
        t = self.ctx.t
        with expansion:
            LorebookEntryForm(self.ctx, entry, lambda changes: self.save_entry(entry.uid, changes))
            with ui.row().classes('w-full justify-end gap-1'):
                ui.button(t('lorebooks.entry.duplicate'), icon='content_copy',
                          on_click=lambda: self.duplicate(entry.uid)).props('flat dense') \
                    .mark(f'duplicate-entry-{entry.uid}')
                ui.button(t('lorebooks.entry.delete'), icon='delete', on_click=lambda: self.delete_entry(entry)) \
                    .props('flat dense color=negative').mark(f'delete-entry-{entry.uid}')

    def _title(self, entry: WorldEntry) -> str:
        return entry.comment or ', '.join(entry.key) or self.ctx.t('lorebooks.entry.untitled')

    def _caption(self, entry: WorldEntry) -> str:
        t = self.ctx.t
        parts = [t(f'lorebooks.status.{status_of(entry)}'), position_options(t).get(entry.position, ''),
                 t('lorebooks.entry.order_caption', order=entry.order)]
        if entry.disable:
            parts.insert(0, t('lorebooks.entry.disabled'))
        return ' · '.join(part for part in parts if part)

    async def save_details(self) -> None:
        try:
            update = LorebookUpdate(name=self.name_input.value or '', description=self.description_input.value or '')
            book = await self.ctx.services.lorebooks.update(self.ctx.user, self.book.id, update)
        except ValidationError:
            self.name_input.error = self.ctx.t('lorebooks.error.name_required')
            return
        except TavernError as error:
            self.name_input.error = self.ctx.error_text(error)
            return
        self.name_input.error = None
        self.title.text = book.name
        ui.notify(self.ctx.t('lorebooks.saved'), type='positive')

    async def save_entry(self, uid: int, changes: dict[str, Any]) -> None:
        try:
            entry = await self.ctx.services.lorebooks.update_entry(self.ctx.user, self.book.id, uid, changes)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        expansion = self.expansions[uid]
        expansion.text = self._title(entry)
        expansion.props['caption'] = self._caption(entry)
        expansion.props['icon'] = STATUS_ICONS[status_of(entry)]
        expansion.update()
        ui.notify(self.ctx.t('lorebooks.entry.saved'), type='positive')

    async def add_entry(self) -> None:
        entry = await self.ctx.services.lorebooks.create_entry(self.ctx.user, self.book.id)
        self.query = ''
        self.search_input.value = ''
        self.shown = max(self.shown, len(self.entries) + 1)
        await self.refresh()
        self.expansions[entry.uid].open()

    async def duplicate(self, uid: int) -> None:
        copy = await self.ctx.services.lorebooks.duplicate_entry(self.ctx.user, self.book.id, uid)
        self.shown = max(self.shown, len(self.entries) + 1)
        await self.refresh()
        if copy.uid in self.expansions:
            self.expansions[copy.uid].open()

    async def delete_entry(self, entry: WorldEntry) -> None:
        t = self.ctx.t
        if not await confirm(t('lorebooks.entry.delete_question', title=self._title(entry)),
                             ok_label=t('lorebooks.entry.delete'), cancel_label=t('common.cancel'), danger=True):
            return
        await self.ctx.services.lorebooks.delete_entry(self.ctx.user, self.book.id, entry.uid)
        await self.refresh()

    async def bulk(self, **changes: Any) -> None:
        await self._apply(BulkEdit(uids=sorted(self.selected), **changes))

    async def bulk_delete(self) -> None:
        t = self.ctx.t
        if not await confirm(t('lorebooks.bulk.delete_question', count=len(self.selected)),
                             ok_label=t('lorebooks.bulk.delete'), cancel_label=t('common.cancel'), danger=True):
            return
        await self._apply(BulkEdit(uids=sorted(self.selected), action='delete'))

    async def _apply(self, edit: BulkEdit) -> None:
        changed = await self.ctx.services.lorebooks.bulk_edit(self.ctx.user, self.book.id, edit)
        if edit.action == 'delete':
            self.selected.clear()
        ui.notify(self.ctx.t('lorebooks.bulk.done', count=changed), type='positive')
        await self.refresh()

    async def _set_position(self) -> None:
        if self.bulk_position.value is None:
            self.bulk_position.error = self.ctx.t('lorebooks.bulk.choose_position')
            return
        self.bulk_position.error = None
        await self.bulk(position=self.bulk_position.value)

    async def _set_order(self) -> None:
        if self.bulk_order.value is None:
            self.bulk_order.error = self.ctx.t('lorebooks.bulk.enter_order')
            return
        self.bulk_order.error = None
        await self.bulk(order=int(self.bulk_order.value))

    def _toggle(self, uid: int, selected: bool) -> None:
        if selected:
            self.selected.add(uid)
        else:
            self.selected.discard(uid)
        self._show_selection()

    async def _select_all(self, event: Any) -> None:
        wanted = {entry.uid for entry in self.entries} if event.value else set()
        if wanted != self.selected:
            self.selected = wanted
            await self.refresh()

    def _show_selection(self) -> None:
        self.selected_label.text = self.ctx.t('lorebooks.bulk.selected', count=len(self.selected))
        for button in self.bulk_buttons:
            button.set_enabled(bool(self.selected))

    async def _search(self, event: Any) -> None:
        self.query = event.value or ''
        self.shown = PAGE_SIZE
        self.search.trigger()

    async def _show_more(self) -> None:
        self.shown += PAGE_SIZE
        await self.refresh()
