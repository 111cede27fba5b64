"""Presets: the user's SillyTavern presets grouped by kind, with the active one of each kind marked.

Import one or many files, rename, delete, export, and activate (one active preset per kind, like SillyTavern's
selection). Opening a chat-completion preset shows its prompt manager; instruct, context and system prompt presets
open as a form; sampler presets show their values read-only (they are applied from a chat's generation settings).
The open preset is kept in the address (`?preset=`), so a reload shows it again.
"""

from __future__ import annotations

import asyncio

from nicegui import ui

from app.db.models import Preset
from app.errors import TavernError
from app.services.presets import KINDS, SAMPLER_KINDS
from app.services.presets.preset_kinds import CHAT_COMPLETION
from components.confirm_dialog import confirm
from components.dialog_buttons import cancel_save_buttons
from components.page_context import PageContext
from components.preset_fields import PresetFieldsForm, sampler_values
from components.preset_import_dialog import PresetImportDialog
from components.prompt_manager_editor import PromptManagerEditor

from .registry import page


@page('/presets', title_key='presets.title')
async def presets_page(ctx: PageContext, preset: str = '') -> None:
    await PresetsView(ctx).build(preset)


def export_url(preset_id: str) -> str:
    return f'/api/v1/presets/{preset_id}/export'


class PresetsView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.selected: str | None = None

    async def build(self, selected: str) -> None:
        t = self.ctx.t
        self.importer = PresetImportDialog(self.ctx, self.refresh)
        with ui.row().classes('w-full items-center'):
            ui.label(t('presets.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('presets.import.button'), icon='upload_file', on_click=self.importer.open) \
                .mark('import-presets')
        ui.label(t('presets.hint')).classes('text-sm opacity-70')
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-3 gap-4'):
            self.listing = ui.column().classes('w-full gap-3 min-w-0').mark('preset-list')
            self.detail = ui.column().classes('w-full gap-3 lg:col-span-2 min-w-0').mark('preset-detail')
        await self.refresh()
        if selected:
            await self.open(selected)

    async def refresh(self) -> None:
        """Draw the list again from the database."""
        presets = await self.ctx.services.presets.list(self.ctx.user)
        self.listing.clear()
        with self.listing:
            if not presets:
                with ui.card().classes('w-full gap-2').mark('no-presets'):
                    ui.label(self.ctx.t('presets.empty.title')).classes('text-xl font-bold')
                    ui.label(self.ctx.t('presets.empty.intro'))
                return
            for kind in KINDS:
                of_kind = [item for item in presets if item.kind == kind]
                if of_kind:
                    self._group(kind, of_kind)

    def _group(self, kind: str, presets: list[Preset]) -> None:
        with ui.card().classes('w-full gap-1 p-2').mark(f'preset-group-{kind}'):
            ui.label(self.ctx.t(f'presets.kind.{kind}')).classes('font-bold')
            for preset in presets:
                self._row(preset)

    def _row(self, preset: Preset) -> None:
        t = self.ctx.t
        selected = preset.id == self.selected
        with ui.row().classes('w-full items-center no-wrap gap-1').mark('preset-row', f'preset-row-{preset.id}'):
            ui.button(preset.name, on_click=lambda: self.open(preset.id)) \
                .props(f'flat dense no-caps align=left {"color=primary" if selected else "color=grey-9"}') \
                .classes('grow min-w-0 truncate').mark('open-preset')
            if preset.is_active:
                ui.badge(t('presets.active')).mark('preset-active')
            active_key = 'presets.deactivate' if preset.is_active else 'presets.activate'
            self._icon('check_circle' if preset.is_active else 'radio_button_unchecked', active_key,
                       lambda: self.toggle_active(preset), 'toggle-active')
            self._icon('edit', 'presets.rename', lambda: self.rename(preset), 'rename-preset')
            self._icon('download', 'presets.export', lambda: ui.download.from_url(export_url(preset.id)),
                       'export-preset')
            self._icon('delete', 'presets.delete', lambda: self.delete(preset), 'delete-preset')

    def _icon(self, icon: str, label_key: str, on_click: object, marker: str) -> None:
        label = self.ctx.t(label_key)
        ui.button(icon=icon, on_click=on_click).props(f'flat dense round aria-label="{label}"').tooltip(label) \
            .mark(marker)

    async def open(self, preset_id: str) -> None:
        """Show the preset's editor (or its values) beside the list."""
        try:
            preset = await self.ctx.services.presets.get(self.ctx.user, preset_id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        self.selected = preset.id
        ui.navigate.history.replace(f'/presets?preset={preset.id}')
        await self.refresh()
        self._show(preset)

    def _show(self, preset: Preset) -> None:
        t = self.ctx.t
        self.detail.clear()
        with self.detail, ui.card().classes('w-full gap-2'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(preset.name).classes('text-xl font-bold break-all').mark('detail-name')
                ui.badge(t(f'presets.kind.{preset.kind}')).props('outline')
            if preset.kind == CHAT_COMPLETION:
                PromptManagerEditor(self.ctx, preset, self._saved)
            elif preset.kind in SAMPLER_KINDS:
                sampler_values(self.ctx, preset)
            else:
                PresetFieldsForm(self.ctx, preset, self._saved)

    async def _saved(self, preset: Preset) -> None:
        await self.refresh()

    async def toggle_active(self, preset: Preset) -> None:
        service = self.ctx.services.presets
        try:
            if preset.is_active:
                await service.deactivate(self.ctx.user, preset.id)
            else:
                await service.activate(self.ctx.user, preset.id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
        await self.refresh()

    async def rename(self, preset: Preset) -> None:
        form = RenameDialog(self.ctx, preset)
        renamed = await form.dialog
        form.dialog.delete()
        if renamed and preset.id == self.selected:
            await self.open(preset.id)
        else:
            await self.refresh()

    async def delete(self, preset: Preset) -> None:
        t = self.ctx.t
        if not await confirm(t('presets.delete_question', name=preset.name), ok_label=t('presets.delete'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        try:
            await self.ctx.services.presets.delete(self.ctx.user, preset.id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
        else:
            ui.notify(t('presets.deleted', name=preset.name))
        if preset.id == self.selected:
            self.selected = None
            self.detail.clear()
            ui.navigate.history.replace('/presets')
        await self.refresh()


class RenameDialog:
    """Asks for the new name; resolves to True once the preset is renamed, False when cancelled."""

    def __init__(self, ctx: PageContext, preset: Preset) -> None:
        self.ctx = ctx
        self.preset = preset
        self.saving = asyncio.Lock()
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-md'):
            ui.label(ctx.t('presets.rename_title')).classes('text-lg font-bold')
            self.name = ui.input(ctx.t('presets.name'), value=preset.name).props('outlined autofocus') \
                .classes('w-full').mark('preset-name-input')
            cancel_save_buttons(ctx, self.dialog, self.save, save_marker='save-preset-name')

    async def save(self) -> None:
        if self.saving.locked():
            return
        async with self.saving:
            self.name.error = None
            try:
                await self.ctx.services.presets.rename(self.ctx.user, self.preset.id, self.name.value or '')
            except TavernError as error:
                self.name.error = self.ctx.error_text(error)
                return
            self.dialog.submit(True)
