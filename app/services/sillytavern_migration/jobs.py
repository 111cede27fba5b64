"""Migrations of an uploaded zip run as background jobs that outlive the request (and the browser tab).

The zip is unpacked and checked for SillyTavern data before the job starts, so a zip bomb, an unsafe path or a zip
of something else is refused right away with the reason. The job's progress and, at the end, its report are kept
in the key-value store (Redis when configured, so any instance can answer a poll) for a day. Each user runs one
migration at a time; a second one is refused until the first has finished. The running mark expires ten minutes
after the last item, so a job whose server stopped shows up as interrupted instead of running forever.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ...db.models import User
from ...db.types import new_id
from ...errors import ConflictError, NotFoundError, TavernError
from ...infra.key_value import KeyValueStore
from .folder_layout import find_layout
from .limits import MigrationLimits
from .report import MigrationReport, Reason
from .unpack import unpack_zip

log = logging.getLogger(__name__)

JOB_TTL_SECONDS = 24 * 3600
RUNNING_TTL_SECONDS = 10 * 60  # renewed by every item; a job whose mark has expired was stopped with its server
JobState = Literal['running', 'finished', 'failed']
MigrateFolder = Callable[[User, Path, Callable[[int, int, str], Awaitable[None]]], Awaitable[MigrationReport]]


class MigrationJob(BaseModel):
    """A migration in the background: `done` of `total` items so far, the item being migrated (`current`), and at
    the end the `report` (state `finished`) or the `error` that stopped it (state `failed`)."""

    id: str
    owner_id: str
    state: JobState = 'running'
    done: int = 0
    total: int = 0
    current: str = ''
    report: MigrationReport | None = None
    error: Reason | None = None


class MigrationJobs:
    def __init__(self, migrate_folder: MigrateFolder, kv: KeyValueStore, work_dir: Path,
                 limits: MigrationLimits) -> None:
        self.migrate_folder = migrate_folder
        self.kv = kv
        self.work_dir = work_dir
        self.limits = limits
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, owner: User, zip_data: bytes) -> MigrationJob:
        """Unpack and check the zip, then migrate it in the background; returns the job to poll."""
        self.limits.check_upload_size(len(zip_data))
        job = MigrationJob(id=new_id(), owner_id=owner.id)
        if not await self.kv.add(running_key(owner.id), job.id, RUNNING_TTL_SECONDS):
            raise ConflictError('error.migration.already_running', 'A migration of your SillyTavern data is already '
                                'running. Wait until it has finished, then start another one.')
        folder = self.work_dir / job.id
        try:
            await asyncio.to_thread(_unpack_checked, zip_data, folder, self.limits)
            await self._save(job)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, folder, True)
            await self.kv.delete(running_key(owner.id))
            raise
        task = asyncio.create_task(self._run(owner, job, folder), name=f'migration {job.id}')
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def get(self, owner: User, job_id: str) -> MigrationJob:
        """The job's progress or outcome; another user's job is reported as missing. A job still marked running
        whose server stopped (its running mark expired) is reported as interrupted."""
        raw = await self.kv.get(_job_key(job_id))
        job = MigrationJob.model_validate_json(raw) if raw else None
        if job is None or job.owner_id != owner.id:
            raise NotFoundError('error.migration.job_not_found', 'No such migration. Its report is kept for a day.')
        if job.state == 'running' and await self.kv.get(running_key(owner.id)) != job.id:
            job.state, job.current = 'failed', ''
            job.error = Reason(code='error.migration.interrupted', message='The migration was interrupted when the '
                               'server stopped. Start it again: what was migrated already is skipped.')
        return job

    async def _run(self, owner: User, job: MigrationJob, folder: Path) -> None:
        async def progress(done: int, total: int, current: str) -> None:
            job.done, job.total, job.current = done, total, current
            await self.kv.set(running_key(owner.id), job.id, RUNNING_TTL_SECONDS)
            await self._save(job)

        try:
            try:
                job.report = await self.migrate_folder(owner, folder, progress)
                job.state = 'finished'
            except TavernError as error:
                job.state, job.error = 'failed', Reason.of(error)
            except Exception as error:  # the job must end with a state the user sees, whatever happened
                log.exception('migration %s failed', job.id)
                job.state = 'failed'
                job.error = Reason(code='error.migration.unexpected', message=f'Unexpected error: {error}',
                                   params={'reason': str(error)})
            finally:
                await asyncio.to_thread(shutil.rmtree, folder, True)
            job.current = ''
            await self._save(job)
        finally:  # after the final state is saved (or the task was cancelled), so polls never see it half done
            await self.kv.delete(running_key(owner.id))

    async def _save(self, job: MigrationJob) -> None:
        await self.kv.set(_job_key(job.id), job.model_dump_json(), JOB_TTL_SECONDS)


def _unpack_checked(zip_data: bytes, folder: Path, limits: MigrationLimits) -> None:
    folder.mkdir(parents=True)
    unpack_zip(zip_data, folder, limits)
    find_layout(folder)


def _job_key(job_id: str) -> str:
    return f'migration:job:{job_id}'


def running_key(owner_id: str) -> str:
    """The key that marks a user's migration as running (holding the job id) while it makes progress."""
    return f'migration:running:{owner_id}'
