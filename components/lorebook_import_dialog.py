"""The "Import lorebooks" dialog: upload many lorebook files at once (SillyTavern World Info, card books, cards with
a book, Agnai, NovelAI, RisuAI) and read one result line per file: imported with its entry count, or why not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.services.lorebooks.files import MAX_IMPORT_FILES
from app.services.lorebooks.schemas import LorebookImportReport, LorebookImportResult
from app.services.world_info.formats import MAX_FILE_BYTES

from .file_import_dialog import FileImportDialog, ImportKind
from .page_context import PageContext

ACCEPTED = '.json,.lorebook,application/json'


class LorebookImportDialog(FileImportDialog[LorebookImportResult]):
    """Calls `on_imported` after every upload that added at least one book."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]]) -> None:
        super().__init__(ctx, on_imported, ImportKind(texts='lorebooks.import', marker='lorebook-import',
                                                      accept=ACCEPTED, max_file_bytes=MAX_FILE_BYTES,
                                                      max_files=MAX_IMPORT_FILES))

    async def import_one(self, filename: str, data: bytes) -> list[LorebookImportResult]:
        return [await self.ctx.services.lorebooks.import_file(self.ctx.user, filename, data)]

    def describe(self, result: LorebookImportResult) -> str:
        if result.lorebook_id is None:
            return self.ctx.t('lorebooks.import.failed', reason=self.reason(result))
        return self.ctx.t('lorebooks.import.imported', name=result.name, count=result.entries)

    def link(self, result: LorebookImportResult) -> str | None:
        return None if result.lorebook_id is None else f'/lorebooks/{result.lorebook_id}'

    def summary(self, results: list[LorebookImportResult]) -> str:
        report = LorebookImportReport.of(results)
        return self.ctx.t('lorebooks.import.summary', imported=report.imported, failed=report.failed)
