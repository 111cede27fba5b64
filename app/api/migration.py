"""`/api/v1/import/sillytavern`: migrate a zip of a SillyTavern folder into your own account, in the background.

The upload is parsed by hand (not with FastAPI's `UploadFile` parameter) so an oversized body is refused from its
declared length before the multipart parser spools it; the OpenAPI schema still documents the multipart form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from ..errors import InvalidInputError
from ..i18n import pick_locale, translate
from ..services.sillytavern_migration import MigrationJob, Reason
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/import/sillytavern', tags=['migration'])
FORM_OVERHEAD = 64 * 1024
HIDDEN_FIELDS = {'owner_id'}
UPLOAD_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['file'], 'properties': {'file': {
        'type': 'string', 'format': 'binary',
        'description': 'A zip of a SillyTavern user folder (data/<user>/), of the older public/ folder, or of the '
                       'SillyTavern folder holding one of them.'}}}}}}}


@router.post('', response_model=MigrationJob, response_model_exclude=HIDDEN_FIELDS, status_code=202,
             openapi_extra=UPLOAD_BODY)
async def start_migration(request: Request, user: CurrentUser, services: ServicesDep) -> MigrationJob:
    """Start migrating a zipped SillyTavern folder into your account; poll the returned job for progress.

    Send `multipart/form-data` with the zip as `file`. The zip is checked before the job starts: a zip over the size
    limit gets 413; a damaged or unsafe zip (a zip bomb, paths leaving the folder) or one without SillyTavern data
    gets 422; a second migration while yours is still running gets 409. Characters, chats, group chats, lorebooks,
    presets and personas are then migrated one by one; items already in your account are skipped.
    """
    limits = services.migration.limits
    declared = request.headers.get('content-length', '')
    if declared.isdigit():
        limits.check_upload_size(max(0, int(declared) - FORM_OVERHEAD))
    async with request.form(max_files=1, max_fields=2) as form:
        upload = form.get('file')
        if not isinstance(upload, UploadFile):
            raise InvalidInputError('error.migration.missing_file', 'Attach the zip as the "file" form field.')
        limits.check_upload_size(upload.size or 0)
        data = await upload.read(limits.max_upload_bytes + 1)
    job = await services.migration.jobs.start(user, data)
    return _localized(job, _locale(request))


@router.get('/{job_id}', response_model=MigrationJob, response_model_exclude=HIDDEN_FIELDS)
async def migration_status(job_id: str, request: Request, user: CurrentUser, services: ServicesDep) -> MigrationJob:
    """The migration's progress (`done` of `total` items, `current` item) and, once `state` is `finished`, its
    report: every item (kind, source path, name, `imported` / `skipped` / `failed`, and the reason), the counts per
    kind, and notes about what is not migrated. A run that could not finish has state `failed` and an `error`."""
    job = await services.migration.jobs.get(user, job_id)
    return _localized(job, _locale(request))


def _locale(request: Request) -> str:
    return pick_locale(accept_language=request.headers.get('accept-language', ''))


def _localized(job: MigrationJob, locale: str) -> MigrationJob:
    """The job with every reason's message in the caller's language."""
    if job.report is not None:
        for item in job.report.items:
            item.reason = _translated(item.reason, locale)
        job.report.notes = [_translated(note, locale) for note in job.report.notes]
    job.error = _translated(job.error, locale)
    return job


def _translated(reason: Reason | None, locale: str) -> Reason | None:
    if reason is None:
        return None
    text = translate(reason.code, locale, **reason.params)
    return reason if text == reason.code else reason.model_copy(update={'message': text})
