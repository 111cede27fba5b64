"""The presets page's "Import presets" dialog: upload one or many SillyTavern preset files and read one result line
per preset (a master export gives three): imported, replaced, or refused with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.services.presets import PresetImportReport, PresetImportResult

from .file_import_dialog import FileImportDialog, ImportKind
from .page_context import PageContext

ACCEPTED = '.json,application/json'


class PresetImportDialog(FileImportDialog[PresetImportResult]):
    """Calls `on_imported` after every upload that stored at least one preset."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        limits = ctx.services.presets.limits
        super().__init__(ctx, on_imported, ImportKind(texts='presets.import', marker='preset-import', accept=ACCEPTED,
                                                      max_file_bytes=limits.max_file_bytes,
                                                      max_files=limits.max_files))

    def add_options(self) -> None:
        self.replace = ui.checkbox(self.ctx.t('presets.import.replace')).mark('preset-import-replace')

    async def import_one(self, filename: str, data: bytes) -> list[PresetImportResult]:
        return await self.ctx.services.presets.import_file(self.ctx.user, data, filename,
                                                           replace=bool(self.replace.value))

    def describe(self, result: PresetImportResult) -> str:
        if result.status == 'failed':
            return self.reason(result)
        kind = self.ctx.t(f'presets.kind.{result.kind}')
        return self.ctx.t(f'presets.import.{result.status}', name=result.name, kind=kind)

    def summary(self, results: list[PresetImportResult]) -> str:
        report = PresetImportReport.of(results)
        return self.ctx.t('presets.import.summary', imported=report.imported, replaced=report.replaced,
                          failed=report.failed)
