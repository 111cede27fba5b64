"""Migrate from SillyTavern: upload a zip of a SillyTavern folder, watch the progress bar, then read the report.

The migration runs as a background job on the server (the same one the REST API starts), so leaving or reloading the
page loses nothing: the job id is kept in the address (`/migration?job=…`) and the page picks the job up again.
The report shows the counts per kind, then one table row per item: kind, name, where it was in the folder, and
imported / already here / failed with the reason.
"""

from __future__ import annotations

from nicegui import events, ui

from app.errors import TavernError
from app.services.sillytavern_migration import MigrationItem, MigrationJob, MigrationReport, Reason
from components.page_context import PageContext

from .registry import page

POLL_SECONDS = 0.5
ROWS_PER_PAGE = 50
STATUS_KEYS = {'imported': 'migration.status.imported', 'skipped': 'migration.status.skipped',
               'failed': 'migration.status.failed'}


@page('/migration', title_key='migration.title')
async def migration_page(ctx: PageContext, job: str = '') -> None:
    await MigrationView(ctx).build(job)


class MigrationView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.job_id = ''

    async def build(self, job_id: str) -> None:
        t = self.ctx.t
        limits = self.ctx.services.migration.limits
        ui.label(t('migration.title')).classes('text-2xl font-bold')
        ui.label(t('migration.intro')).classes('text-sm opacity-80')
        ui.label(t('migration.zip_hint', limit=limits.max_upload_megabytes)).classes('text-sm opacity-80')
        self.upload = ui.upload(label=t('migration.upload'), auto_upload=True, max_file_size=limits.max_upload_bytes,
                                on_upload=self._received, on_rejected=self._rejected) \
            .props('accept=".zip,application/zip" flat bordered').classes('w-full sm:w-96').mark('migration-upload')
        self.error = ui.label().classes('text-negative').mark('migration-error')
        self.progress = ui.linear_progress(value=0, show_value=False).mark('migration-progress')
        self.status = ui.label().classes('text-sm break-all').mark('migration-status')
        self.result = ui.column().classes('w-full gap-2').mark('migration-result')
        self.progress.visible = False
        self.poller = ui.timer(POLL_SECONDS, self._poll, active=False)
        if job_id:
            self._follow(job_id)

    async def _received(self, event: events.UploadEventArguments) -> None:
        self.error.text = ''
        self.result.clear()
        self.status.text = self.ctx.t('migration.unpacking')
        try:
            job = await self.ctx.services.migration.jobs.start(self.ctx.user, await event.file.read())
        except TavernError as error:
            self.status.text = ''
            self.error.text = self.ctx.error_text(error)
            return
        finally:
            self.upload.reset()
        ui.navigate.history.replace(f'/migration?job={job.id}')
        self._follow(job.id)

    def _follow(self, job_id: str) -> None:
        self.job_id = job_id
        self.progress.value = 0
        self.progress.visible = True
        self.status.text = self.ctx.t('migration.starting')
        self.poller.activate()

    async def _poll(self) -> None:
        try:
            job = await self.ctx.services.migration.jobs.get(self.ctx.user, self.job_id)
        except TavernError as error:
            self.poller.deactivate()
            self.progress.visible = False
            self.status.text = ''
            self.error.text = self.ctx.error_text(error)
            return
        if job.state == 'running':
            self._show_progress(job)
            return
        self.poller.deactivate()
        self.progress.visible = False
        self.status.text = ''
        if job.report is not None:
            self._show_report(job.report)
        elif job.error is not None:
            self.error.text = self._reason_text(job.error)

    def _show_progress(self, job: MigrationJob) -> None:
        if job.total:
            self.progress.value = job.done / job.total
            self.status.text = self.ctx.t('migration.progress', done=job.done, total=job.total, current=job.current)

    def _show_report(self, report: MigrationReport) -> None:
        t = self.ctx.t
        with self.result:
            ui.label(t('migration.finished')).classes('text-lg font-bold').mark('migration-finished')
            for kind, counts in report.counts.items():
                ui.label(t('migration.counts', kind=t(f'migration.kind.{kind}'), imported=counts.imported,
                           skipped=counts.skipped, failed=counts.failed)).mark('migration-counts')
            for note in report.notes:
                ui.label(self._reason_text(note)).classes('text-sm opacity-80').mark('migration-note')
            columns = [{'name': name, 'label': t(f'migration.column.{name}'), 'field': name, 'align': 'left',
                        'sortable': name != 'reason'} for name in ('kind', 'name', 'source', 'status', 'reason')]
            ui.table(columns=columns, rows=[self._row(index, item) for index, item in enumerate(report.items)],
                     row_key='id', pagination=ROWS_PER_PAGE).props('dense wrap-cells flat bordered') \
                .classes('w-full').mark('migration-report')
            ui.link(t('migration.to_library'), '/').mark('migration-library-link')

    def _row(self, index: int, item: MigrationItem) -> dict[str, str | int]:
        t = self.ctx.t
        return {'id': index, 'kind': t(f'migration.kind.{item.kind}'), 'name': item.name, 'source': item.source,
                'status': t(STATUS_KEYS[item.status]),
                'reason': self._reason_text(item.reason) if item.reason else ''}

    def _reason_text(self, reason: Reason) -> str:
        text = self.ctx.t(reason.code, **reason.params)
        return reason.message if text == reason.code else text

    def _rejected(self) -> None:
        limits = self.ctx.services.migration.limits
        self.error.text = self.ctx.t('error.migration.upload_too_large', limit=limits.max_upload_megabytes)
