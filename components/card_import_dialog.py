"""The library's "Import characters" dialog: upload many card files (or zips of cards) at once, watch a progress
bar while they are imported one by one, and read one result line per card: imported, already there, or failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.services.card_import import ImportReport, ImportResult

from .file_import_dialog import FileImportDialog, ImportKind
from .page_context import PageContext

ACCEPTED = '.png,.json,.charx,.yaml,.yml,.zip,image/png,application/json,application/zip'


class CardImportDialog(FileImportDialog[ImportResult]):
    """Calls `on_imported` after every upload that added at least one character."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        limits = ctx.services.card_import.limits
        super().__init__(ctx, on_imported, ImportKind(texts='card_import', marker='card-import', accept=ACCEPTED,
                                                      max_file_bytes=limits.max_file_bytes,
                                                      max_files=limits.max_files))

    async def import_one(self, filename: str, data: bytes) -> list[ImportResult]:
        return await self.ctx.services.card_import.import_file(self.ctx.user, filename, data)

    def describe(self, result: ImportResult) -> str:
        t = self.ctx.t
        reason = self.reason(result)
        if result.status == 'duplicate':
            return t('card_import.duplicate', name=result.name)
        if result.status == 'failed':
            return t('card_import.failed', reason=reason)
        if reason:
            return t('card_import.picture_skipped', name=result.name, reason=reason)
        return t('card_import.imported', name=result.name)

    def link(self, result: ImportResult) -> str | None:
        return None if result.character_id is None else f'/characters/{result.character_id}'

    def summary(self, results: list[ImportResult]) -> str:
        report = ImportReport.of(results)
        return self.ctx.t('card_import.summary', imported=report.imported, duplicates=report.duplicates,
                          failed=report.failed)
