"""The lorebooks page (`/lorebooks`): the user's books with their entry counts, a switch to make a book active in
every chat, new, import (many files, one result each) and delete; below them the world-info settings."""

from __future__ import annotations

from nicegui import ui
from pydantic import ValidationError

from app.errors import TavernError
from app.services.lorebooks.schemas import LorebookFields, LorebookRead
from app.services.lorebooks.settings import WorldInfoSettingsFields
from components.confirm_dialog import confirm
from components.dialog_buttons import cancel_save_buttons
from components.lorebook_import_dialog import LorebookImportDialog
from components.lorebook_settings_form import WorldInfoSettingsForm
from components.page_context import PageContext

from .registry import page

EXCERPT_LENGTH = 140


@page('/lorebooks', title_key='lorebooks.title')
async def lorebooks_page(ctx: PageContext) -> None:
    await LorebooksView(ctx).build()


class LorebooksView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    async def build(self) -> None:
        t = self.ctx.t
        self.importer = LorebookImportDialog(self.ctx, self.refresh)
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(t('lorebooks.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('lorebooks.import.button'), icon='upload', on_click=self.importer.open).props('outline') \
                .mark('import-lorebooks')
            ui.button(t('lorebooks.new'), icon='add', on_click=self.new_book).mark('new-lorebook')
        ui.label(t('lorebooks.hint')).classes('text-sm opacity-70')
        self.content = ui.column().classes('w-full gap-2')
        await self.refresh()
        settings = await self.ctx.services.lorebooks.world_info_settings(self.ctx.user)
        with ui.expansion(t('lorebooks.settings.title'), icon='tune').classes('w-full border rounded') \
                .mark('settings-panel'):
            WorldInfoSettingsForm(self.ctx, WorldInfoSettingsFields.of(settings))

    async def refresh(self) -> None:
        books = await self.ctx.services.lorebooks.list(self.ctx.user)
        self.content.clear()
        with self.content:
            if not books:
                with ui.card().classes('w-full').mark('no-lorebooks'):
                    ui.label(self.ctx.t('lorebooks.empty.title')).classes('text-xl font-bold')
                    ui.label(self.ctx.t('lorebooks.empty.intro'))
                return
            with ui.column().classes('w-full gap-2').mark('lorebook-list'):
                for book in books:
                    self._row(book)

    def _row(self, book: LorebookRead) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full').mark('lorebook-card'), \
                ui.row().classes('w-full items-center gap-3 no-wrap'):
            with ui.column().classes('gap-0 grow min-w-0'):
                ui.link(book.name, f'/lorebooks/{book.id}').classes('font-bold text-lg break-all') \
                    .mark('lorebook-name')
                ui.label(t('lorebooks.entry_count', count=book.entry_count)).classes('text-sm opacity-70') \
                    .mark('lorebook-entries')
                if book.description:
                    ui.label(_excerpt(book.description)).classes('text-sm opacity-80 break-words')
            ui.switch(t('lorebooks.global'), value=book.is_global,
                      on_change=lambda event: self._set_global(book, event.value)).mark('lorebook-global')
            ui.button(icon='delete', on_click=lambda: self.delete(book)) \
                .props(f'flat round color=negative aria-label="{t("lorebooks.delete")}"').mark('delete-lorebook')

    async def _set_global(self, book: LorebookRead, active: bool) -> None:
        await self.ctx.services.lorebooks.set_global(self.ctx.user, book.id, active)
        ui.notify(self.ctx.t('lorebooks.global_on' if active else 'lorebooks.global_off', name=book.name))

    async def delete(self, book: LorebookRead) -> None:
        t = self.ctx.t
        if not await confirm(t('lorebooks.delete_question', name=book.name, count=book.entry_count),
                             ok_label=t('lorebooks.delete'), cancel_label=t('common.cancel'), danger=True):
            return
        await self.ctx.services.lorebooks.delete(self.ctx.user, book.id)
        ui.notify(t('lorebooks.deleted', name=book.name))
        await self.refresh()

    def new_book(self) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(t('lorebooks.new')).classes('text-lg font-bold')
            name = ui.input(t('lorebooks.name')).props('outlined autofocus').classes('w-full') \
                .mark('new-lorebook-name')
            description = ui.textarea(t('lorebooks.description')).props('outlined autogrow').classes('w-full')

            async def create() -> None:
                try:
                    fields = LorebookFields(name=name.value or '', description=description.value or '')
                    book = await self.ctx.services.lorebooks.create(self.ctx.user, fields)
                except ValidationError:
                    name.error = t('lorebooks.error.name_required')
                    return
                except TavernError as error:
                    name.error = self.ctx.error_text(error)
                    return
                dialog.close()
                ui.navigate.to(f'/lorebooks/{book.id}')

            cancel_save_buttons(self.ctx, dialog, create, save_marker='create-lorebook')
        dialog.open()


def _excerpt(text: str) -> str:
    text = ' '.join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH - 1].rstrip() + '…'
