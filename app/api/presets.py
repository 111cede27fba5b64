"""`/api/v1/presets`: the caller's SillyTavern presets (chat completion, Text Completion, KoboldAI, instruct,
context, system prompt): list, read, import files, create, edit, activate, export and delete.

The import body is parsed by hand, like the character import, so an oversized upload is refused from its declared
length and each file is read only up to the size limit; the OpenAPI schema still documents the multipart form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ..errors import InvalidInputError
from ..i18n import pick_locale, translate
from ..services.presets import (
    PresetChanges,
    PresetCreate,
    PresetImportReport,
    PresetImportResult,
    PresetKind,
    PresetRead,
    PresetSummary,
)
from .deps import CurrentUser, ServicesDep
from .downloads import download_response

router = APIRouter(prefix='/api/v1/presets', tags=['presets'])
FORM_OVERHEAD = 64 * 1024
IMPORT_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['files'], 'properties': {'files': {
        'type': 'array', 'items': {'type': 'string', 'format': 'binary'},
        'description': 'One or more SillyTavern preset files (.json): chat completion ("OpenAI Settings"), Text '
                       'Completion, KoboldAI, instruct, context, system prompt, or an Advanced Formatting master '
                       'export (split into its instruct, context and system prompt presets).'}}}}}}}
EXPORT_RESPONSES = {200: {'description': 'The preset as SillyTavern saves it, as an attachment.',
                          'content': {'application/json': {'schema': {'type': 'object'}}}}}


@router.get('', response_model=list[PresetSummary])
async def list_presets(user: CurrentUser, services: ServicesDep, kind: PresetKind | None = None) -> list[PresetSummary]:
    """Your presets without their JSON, by kind and then by name; `kind` keeps one kind."""
    return [PresetSummary.of(preset) for preset in await services.presets.list(user, kind)]


@router.post('/import', response_model=PresetImportReport, openapi_extra=IMPORT_BODY)
async def import_presets(request: Request, user: CurrentUser, services: ServicesDep,
                         replace: bool = False) -> PresetImportReport:
    """Import preset files; every preset gets its own result (a master export gives three).

    Send `multipart/form-data` with the files (any field name, `files` by convention). Each result is `imported`
    (with the new `preset_id`; a name you already use for that kind gets " (2)"), `replaced` (with `replace=true`,
    the preset of the same kind and name now holds the file) or `failed` with `code` and a `message` in your
    language. A request body above the total limit gets 413.
    """
    limits = services.presets.limits
    declared = request.headers.get('content-length', '')
    if declared.isdigit():
        limits.check_request_size(max(0, int(declared) - FORM_OVERHEAD))
    results: list[PresetImportResult] = []
    async with request.form(max_files=limits.max_files, max_fields=limits.max_files) as form:
        uploads = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if not uploads:
            raise InvalidInputError('error.presets.missing_files', 'Attach at least one preset file to the form.')
        for upload in uploads:
            data = await upload.read(limits.max_file_bytes + 1)
            results.extend(await services.presets.import_file(user, data, upload.filename or 'preset.json',
                                                              replace=replace))
    locale = pick_locale(accept_language=request.headers.get('accept-language', ''))
    return PresetImportReport.of([_localized(result, locale) for result in results])


@router.post('', response_model=PresetRead, status_code=201)
async def create_preset(body: PresetCreate, user: CurrentUser, services: ServicesDep) -> PresetRead:
    """Add a preset from its SillyTavern JSON; the name must be free for its kind (409 otherwise)."""
    preset = await services.presets.create(user, body.kind, body.name, body.data, is_active=body.is_active)
    return PresetRead.of(preset)


@router.get('/{preset_id}', response_model=PresetRead)
async def get_preset(preset_id: str, user: CurrentUser, services: ServicesDep) -> PresetRead:
    return PresetRead.of(await services.presets.get(user, preset_id))


@router.patch('/{preset_id}', response_model=PresetRead)
async def update_preset(preset_id: str, body: PresetChanges, user: CurrentUser, services: ServicesDep) -> PresetRead:
    """Change only the fields you send: `name` (409 when taken), `data` (must stay the same kind), `is_active`."""
    return PresetRead.of(await services.presets.change(user, preset_id, body))


@router.delete('/{preset_id}', status_code=204)
async def delete_preset(preset_id: str, user: CurrentUser, services: ServicesDep) -> None:
    await services.presets.delete(user, preset_id)


@router.get('/{preset_id}/export', response_class=Response, responses=EXPORT_RESPONSES)
async def export_preset(preset_id: str, user: CurrentUser, services: ServicesDep) -> Response:
    """Download the preset as the JSON file SillyTavern imports, named after the preset."""
    return download_response(await services.presets.export(user, preset_id))


def _localized(result: PresetImportResult, locale: str) -> PresetImportResult:
    if result.code is None:
        return result
    text = translate(result.code, locale, **result.params)
    return result.model_copy(update={'message': result.message if text == result.code else text})
