"""The presets page's "Import presets" dialog: upload one or many SillyTavern preset files and read one result line
per preset (a master export gives three): imported, replaced, or refused with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

from app.errors import TavernError
from app.services.presets import PresetImportReport, PresetImportResult
from app.services.presets.preset_kinds import MEGABYTE

from .page_context import PageContext

ACCEPTED = '.json,application/json'
STATUS_ICONS = {'imported': ('check_circle', 'positive'), 'replaced': ('published_with_changes', 'info'),
                'failed': ('error', 'negative')}


class PresetImportDialog:
    """Calls `on_imported` after every upload that stored at least one preset."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_imported = on_imported
        limits = ctx.services.presets.limits
        t = ctx.t
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-xl gap-3').mark('preset-import-dialog'):
            ui.label(t('presets.import.title')).classes('text-lg font-bold')
            ui.label(t('presets.import.intro')).classes('text-sm opacity-80')
            self.replace = ui.checkbox(t('presets.import.replace')).mark('preset-import-replace')
            self.upload = ui.upload(label=t('presets.import.upload'), multiple=True, auto_upload=True,
                                    max_file_size=limits.max_file_bytes, max_files=limits.max_files,
                                    on_multi_upload=self._received, on_rejected=self._rejected) \
                .props(f'accept="{ACCEPTED}" flat bordered').classes('w-full').mark('preset-import-upload')
            self.status = ui.label().classes('text-sm').mark('preset-import-status')
            self.results = ui.column().classes('w-full gap-1 max-h-80 overflow-auto').mark('preset-import-results')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('presets.import.close'), on_click=self.dialog.close).props('flat') \
                    .mark('preset-import-close')

    def open(self) -> None:
        self.upload.reset()
        self.status.text = ''
        self.results.clear()
        self.dialog.open()

    async def _received(self, event: events.MultiUploadEventArguments) -> None:
        results: list[PresetImportResult] = []
        for file in event.files:
            file_results = await self._import(file)
            results.extend(file_results)
            self._show(file_results)
        self.upload.reset()
        report = PresetImportReport.of(results)
        self.status.text = self.ctx.t('presets.import.summary', imported=report.imported, replaced=report.replaced,
                                      failed=report.failed)
        if report.imported or report.replaced:
            await self.on_imported()

    async def _import(self, file: ui.upload.FileUpload) -> list[PresetImportResult]:
        service = self.ctx.services.presets
        if file.size() > service.limits.max_file_bytes:
            limit = service.limits.max_file_bytes // MEGABYTE
            return [PresetImportResult(filename=file.name, status='failed', code='error.presets.too_large',
                                 message=f'{file.name} is larger than {limit} MB.',
                                 params={'filename': file.name, 'limit': limit})]
        try:
            return await service.import_file(self.ctx.user, await file.read(), file.name,
                                             replace=bool(self.replace.value))
        except TavernError as error:
            return [PresetImportResult(filename=file.name, status='failed', code=error.code, message=error.message,
                                 params=dict(error.params))]

    def _show(self, results: list[PresetImportResult]) -> None:
        with self.results:
            for result in results:
                icon, color = STATUS_ICONS[result.status]
                with ui.row().classes('w-full items-start no-wrap gap-2').mark(f'preset-import-result {result.status}'):
                    ui.icon(icon, color=color).classes('mt-1')
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(result.filename).classes('font-medium break-all')
                        ui.label(self._text(result)).classes('text-sm break-words') \
                            .classes('text-negative' if result.status == 'failed' else '')

    def _text(self, result: PresetImportResult) -> str:
        t = self.ctx.t
        if result.status == 'failed':
            text = t(result.code or '', **result.params)
            return (result.message or '') if text == result.code else text
        kind = t(f'presets.kind.{result.kind}')
        return t(f'presets.import.{result.status}', name=result.name, kind=kind)

    def _rejected(self) -> None:
        limits = self.ctx.services.presets.limits
        ui.notify(self.ctx.t('presets.import.rejected', max_mb=limits.max_file_bytes // MEGABYTE,
                             max_files=limits.max_files), type='warning')
