"""The "Import lorebooks" dialog: upload many lorebook files at once (SillyTavern World Info, card books, cards with
a book, Agnai, NovelAI, RisuAI) and read one result line per file: imported with its entry count, or why not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

from app.services.lorebooks.files import MAX_IMPORT_FILES
from app.services.lorebooks.schemas import LorebookImportReport, LorebookImportResult
from app.services.world_info.formats import MAX_FILE_BYTES, MEGABYTE

from .page_context import PageContext

ACCEPTED = '.json,.lorebook,application/json'


class LorebookImportDialog:
    """Calls `on_imported` after every upload that added at least one book."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_imported = on_imported
        t = ctx.t
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-xl gap-3').mark('lorebook-import-dialog'):
            ui.label(t('lorebooks.import.title')).classes('text-lg font-bold')
            ui.label(t('lorebooks.import.intro')).classes('text-sm opacity-80')
            self.upload = ui.upload(label=t('lorebooks.import.upload'), multiple=True, auto_upload=True,
                                    max_file_size=MAX_FILE_BYTES, max_files=MAX_IMPORT_FILES,
                                    on_multi_upload=self._received, on_rejected=self._rejected) \
                .props(f'accept="{ACCEPTED}" flat bordered').classes('w-full').mark('lorebook-import-upload')
            self.status = ui.label().classes('text-sm').mark('lorebook-import-status')
            self.results = ui.column().classes('w-full gap-1 max-h-80 overflow-auto').mark('lorebook-import-results')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('lorebooks.import.close'), on_click=self.dialog.close).props('flat') \
                    .mark('lorebook-import-close')

    def open(self) -> None:
        self.upload.reset()
        self.status.text = ''
        self.results.clear()
        self.dialog.open()

    async def _received(self, event: events.MultiUploadEventArguments) -> None:
        results = []
        for done, file in enumerate(event.files):
            self.status.text = self.ctx.t('lorebooks.import.progress', done=done + 1, total=len(event.files))
            result = await self.ctx.services.lorebooks.import_file(self.ctx.user, file.name, await file.read())
            results.append(result)
            self._show(result)
        self.upload.reset()
        report = LorebookImportReport.of(results)
        self.status.text = self.ctx.t('lorebooks.import.summary', imported=report.imported, failed=report.failed)
        if report.imported:
            await self.on_imported()

    def _show(self, result: LorebookImportResult) -> None:
        t = self.ctx.t
        with self.results, ui.row().classes('w-full items-start no-wrap gap-2') \
                .mark(f'lorebook-import-result {result.status}'):
            imported = result.lorebook_id is not None
            ui.icon('check_circle' if imported else 'error', color='positive' if imported else 'negative') \
                .classes('mt-1')
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(result.filename).classes('font-medium break-all')
                if imported:
                    ui.link(t('lorebooks.import.imported', name=result.name, count=result.entries),
                            f'/lorebooks/{result.lorebook_id}').classes('text-sm break-words')
                else:
                    ui.label(t('lorebooks.import.failed', reason=self._reason(result))) \
                        .classes('text-sm text-negative break-words')

    def _reason(self, result: LorebookImportResult) -> str:
        text = self.ctx.t(result.code or '', **result.params)
        return (result.message or '') if text == result.code else text

    def _rejected(self) -> None:
        ui.notify(self.ctx.t('lorebooks.import.rejected', max_mb=MAX_FILE_BYTES // MEGABYTE,
                             max_files=MAX_IMPORT_FILES), type='warning')
