"""The import dialog that characters, presets and lorebooks share: upload many files at once, watch a progress bar
and an "n of total" line while they are imported one by one, read one result line per result (icon and colour by
status), then a summary. Each kind says only what differs: its texts, markers, accepted types and limits, how one file
is imported, how a result reads and how the results add up."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from nicegui import events, ui

from app.services.card_formats.limits import MEGABYTE

from .page_context import PageContext

STATUS_ICONS = {'imported': ('check_circle', 'positive'), 'duplicate': ('content_copy', 'info'),
                'replaced': ('published_with_changes', 'info'), 'failed': ('error', 'negative')}
STORED_STATUSES = frozenset({'imported', 'replaced'})


class ImportResult(Protocol):
    """What every kind's result holds: the file it came from, its status and, when there is one, the reason."""

    filename: str
    status: str
    code: str | None
    message: str | None
    params: dict[str, Any]


ResultT = TypeVar('ResultT', bound=ImportResult)


@dataclass(frozen=True)
class ImportKind:
    """The fixed pieces of one kind of import. `texts` prefixes its i18n keys (title, intro, upload, progress,
    rejected, close); `marker` prefixes its element markers (dialog, upload, progress, status, results, result,
    close)."""

    texts: str
    marker: str
    accept: str
    max_file_bytes: int
    max_files: int


class FileImportDialog(ABC, Generic[ResultT]):
    """Calls `on_imported` after every upload that stored at least one result (imported or replaced)."""

    def __init__(self, ctx: PageContext, on_imported: Callable[[], Awaitable[None]], kind: ImportKind) -> None:
        self.ctx = ctx
        self.on_imported = on_imported
        self.kind = kind
        t, marker = ctx.t, kind.marker
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-xl gap-3').mark(f'{marker}-dialog'):
            ui.label(t(f'{kind.texts}.title')).classes('text-lg font-bold')
            ui.label(t(f'{kind.texts}.intro')).classes('text-sm opacity-80')
            self.add_options()
            self.upload = ui.upload(label=t(f'{kind.texts}.upload'), multiple=True, auto_upload=True,
                                    max_file_size=kind.max_file_bytes, max_files=kind.max_files,
                                    on_multi_upload=self._received, on_rejected=self._rejected) \
                .props(f'accept="{kind.accept}" flat bordered').classes('w-full').mark(f'{marker}-upload')
            self.progress = ui.linear_progress(value=0, show_value=False).mark(f'{marker}-progress')
            self.status = ui.label().classes('text-sm').mark(f'{marker}-status')
            self.results = ui.column().classes('w-full gap-1 max-h-80 overflow-auto').mark(f'{marker}-results')
            with ui.row().classes('w-full justify-end'):
                ui.button(t(f'{kind.texts}.close'), on_click=self.dialog.close).props('flat').mark(f'{marker}-close')
        self.progress.visible = False

    def add_options(self) -> None:
        """Controls shown above the upload; a kind with import options adds them here."""

    @abstractmethod
    async def import_one(self, filename: str, data: bytes) -> list[ResultT]:
        """The results of importing one uploaded file (its content is cut one byte past the size limit)."""

    @abstractmethod
    def describe(self, result: ResultT) -> str:
        """The line under a result's file name."""

    def link(self, result: ResultT) -> str | None:
        """Where a result's line leads, if anywhere."""
        return None

    @abstractmethod
    def summary(self, results: list[ResultT]) -> str:
        """The line that adds up all results of one upload."""

    def reason(self, result: ResultT) -> str:
        """A result's error in this page's language (its English message when the table has no entry)."""
        if result.code is None:
            return ''
        text = self.ctx.t(result.code, **result.params)
        return (result.message or '') if text == result.code else text

    def open(self) -> None:
        self.upload.reset()
        self.progress.visible = False
        self.status.text = ''
        self.results.clear()
        self.dialog.open()

    async def _received(self, event: events.MultiUploadEventArguments) -> None:
        results: list[ResultT] = []
        self.progress.visible = True
        for done, file in enumerate(event.files):
            self._show_progress(done, len(event.files))
            file_results = await self.import_one(file.name, await _read_up_to(file, self.kind.max_file_bytes))
            results.extend(file_results)
            self._show_results(file_results)
        self.progress.visible = False
        self.upload.reset()
        self.status.text = self.summary(results)
        if any(result.status in STORED_STATUSES for result in results):
            await self.on_imported()

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.value = done / total
        self.status.text = self.ctx.t(f'{self.kind.texts}.progress', done=done + 1, total=total)

    def _show_results(self, results: list[ResultT]) -> None:
        with self.results:
            for result in results:
                icon, color = STATUS_ICONS[result.status]
                with ui.row().classes('w-full items-start no-wrap gap-2') \
                        .mark(f'{self.kind.marker}-result {result.status}'):
                    ui.icon(icon, color=color).classes('mt-1')
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(result.filename).classes('font-medium break-all')
                        self._outcome(result)

    def _outcome(self, result: ResultT) -> None:
        text, target = self.describe(result), self.link(result)
        if target is not None:
            ui.link(text, target).classes('text-sm break-words')
            return
        ui.label(text).classes('text-sm break-words').classes('text-negative' if result.status == 'failed' else '')

    def _rejected(self) -> None:
        ui.notify(self.ctx.t(f'{self.kind.texts}.rejected', max_mb=self.kind.max_file_bytes // MEGABYTE,
                             max_files=self.kind.max_files), type='warning')


async def _read_up_to(file: ui.upload.FileUpload, limit: int) -> bytes:
    """The file's content, cut one byte past `limit`: the services refuse a file that long by its size, and a huge
    upload is never read into memory whole."""
    content = bytearray()
    async with aclosing(file.iterate()) as chunks:
        async for chunk in chunks:
            content += chunk
            if len(content) > limit:
                break
    return bytes(content[:limit + 1])
