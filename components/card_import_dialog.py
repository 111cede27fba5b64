"""The library's "Import characters" dialog: upload many card files (or zips of cards) at once, watch a progress
bar while they are imported one by one, and read one result line per card: imported, already there, or failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

from app.errors import TavernError
from app.services.card_formats.limits import MEGABYTE
from app.services.card_import import ImportReport, ImportResult

from .page_context import PageContext

ACCEPTED = '.png,.json,.charx,.yaml,.yml,.zip,image/png,application/json,application/zip'
STATUS_ICONS = {'imported': ('check_circle', 'positive'), 'duplicate': ('content_copy', 'info'),
                'failed': ('error', 'negative')}


class CardImportDialog:
    """Calls `on_imported` after every upload that added at least one character."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_imported = on_imported
        limits = ctx.services.card_import.limits
        t = ctx.t
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-xl gap-3').mark('card-import-dialog'):
            ui.label(t('card_import.title')).classes('text-lg font-bold')
            ui.label(t('card_import.intro')).classes('text-sm opacity-80')
            self.upload = ui.upload(label=t('card_import.upload'), multiple=True, auto_upload=True,
                                    max_file_size=limits.max_file_bytes, max_files=limits.max_files,
                                    on_multi_upload=self._received, on_rejected=self._rejected) \
                .props(f'accept="{ACCEPTED}" flat bordered').classes('w-full').mark('card-import-upload')
            self.progress = ui.linear_progress(value=0, show_value=False).mark('card-import-progress')
            self.status = ui.label().classes('text-sm').mark('card-import-status')
            self.results = ui.column().classes('w-full gap-1 max-h-80 overflow-auto').mark('card-import-results')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('card_import.close'), on_click=self.dialog.close).props('flat').mark('card-import-close')
        self.progress.visible = False

    def open(self) -> None:
        self.upload.reset()
        self.progress.visible = False
        self.status.text = ''
        self.results.clear()
        self.dialog.open()

    async def _received(self, event: events.MultiUploadEventArguments) -> None:
        results: list[ImportResult] = []
        self.progress.visible = True
        for done, file in enumerate(event.files):
            self._show_progress(done, len(event.files))
            file_results = await self._import(file)
            results.extend(file_results)
            self._show_results(file_results)
        self.progress.visible = False
        self.upload.reset()
        report = ImportReport.of(results)
        self.status.text = self.ctx.t('card_import.summary', imported=report.imported,
                                      duplicates=report.duplicates, failed=report.failed)
        if report.imported:
            await self.on_imported()

    async def _import(self, file: ui.upload.FileUpload) -> list[ImportResult]:
        service = self.ctx.services.card_import
        try:
            service.limits.check_file_size(file.size())
            return await service.import_file(self.ctx.user, file.name, await file.read())
        except TavernError as error:
            return [ImportResult(filename=file.name, status='failed', code=error.code, message=error.message,
                                 params=dict(error.params))]

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.value = done / total
        self.status.text = self.ctx.t('card_import.progress', done=done + 1, total=total)

    def _show_results(self, results: list[ImportResult]) -> None:
        with self.results:
            for result in results:
                icon, color = STATUS_ICONS[result.status]
                with ui.row().classes('w-full items-start no-wrap gap-2').mark(f'card-import-result {result.status}'):
                    ui.icon(icon, color=color).classes('mt-1')
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(result.filename).classes('font-medium break-all')
                        self._outcome(result)

    def _outcome(self, result: ImportResult) -> None:
        text = self._text(result)
        if result.character_id is None:
            ui.label(text).classes('text-sm text-negative break-words')
            return
        ui.link(text, f'/characters/{result.character_id}').classes('text-sm break-words')

    def _text(self, result: ImportResult) -> str:
        t = self.ctx.t
        reason = self._reason(result)
        if result.status == 'duplicate':
            return t('card_import.duplicate', name=result.name)
        if result.status == 'failed':
            return t('card_import.failed', reason=reason)
        if reason:
            return t('card_import.picture_skipped', name=result.name, reason=reason)
        return t('card_import.imported', name=result.name)

    def _reason(self, result: ImportResult) -> str:
        if result.code is None:
            return ''
        text = self.ctx.t(result.code, **result.params)
        return (result.message or '') if text == result.code else text

    def _rejected(self) -> None:
        limits = self.ctx.services.card_import.limits
        ui.notify(self.ctx.t('card_import.rejected', max_mb=limits.max_file_bytes // MEGABYTE,
                             max_files=limits.max_files), type='warning')
