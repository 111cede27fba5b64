"""`/api/v1/characters/import` and `/api/v1/characters/{id}/export`: character card files in and out over REST.

The upload is parsed by hand (not with FastAPI's `UploadFile` parameters) so an oversized body is refused from its
declared length before the multipart parser spools it, and each file is read only up to the size limit; the OpenAPI
schema still documents the multipart form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ..errors import InvalidInputError
from ..i18n import pick_locale, translate
from ..services.card_formats import CardFormat, CardSpec
from ..services.card_import import ImportReport, ImportResult
from .deps import CurrentUser, ServicesDep
from .downloads import download_response

router = APIRouter(prefix='/api/v1/characters', tags=['characters'])
FORM_OVERHEAD = 64 * 1024
IMPORT_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['files'], 'properties': {'files': {
        'type': 'array', 'items': {'type': 'string', 'format': 'binary'},
        'description': 'One or more card files: PNG, JSON (V1, V2, V3, Pygmalion), CharX, oobabooga YAML, or a '
                       'zip of such files.'}}}}}}}
EXPORT_RESPONSES = {200: {'description': 'The card file, as an attachment.', 'content': {
    'image/png': {'schema': {'type': 'string', 'format': 'binary'}},
    'application/json': {'schema': {'type': 'object'}},
    'application/zip': {'schema': {'type': 'string', 'format': 'binary'}}}}}


@router.post('/import', response_model=ImportReport, openapi_extra=IMPORT_BODY)
async def import_cards(request: Request, user: CurrentUser, services: ServicesDep) -> ImportReport:
    """Import character cards into your library; every file (and every card in a zip) gets its own result.

    Send `multipart/form-data` with the files (any field name, `files` by convention). Each result is `imported`
    (with the new `character_id`), `duplicate` (your library already holds the same card; `character_id` is that
    character) or `failed` with `code` and a `message` in your language. An imported card whose picture was refused
    carries that reason too. A request body above the total limit gets 413.
    """
    service = services.card_import
    limits = service.limits
    declared = request.headers.get('content-length', '')
    if declared.isdigit():
        limits.check_request_size(max(0, int(declared) - FORM_OVERHEAD))
    results: list[ImportResult] = []
    async with request.form(max_files=limits.max_files, max_fields=limits.max_files) as form:
        uploads = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if not uploads:
            raise InvalidInputError('error.card.missing_files', 'Attach at least one card file to the form.')
        for upload in uploads:
            data = await upload.read(limits.max_file_bytes + 1)
            results.extend(await service.import_file(user, upload.filename or 'card', data))
    locale = pick_locale(accept_language=request.headers.get('accept-language', ''))
    return ImportReport.of([_localized(result, locale) for result in results])


@router.get('/{character_id}/export', response_class=Response, responses=EXPORT_RESPONSES)
async def export_card(character_id: str, user: CurrentUser, services: ServicesDep,
                      fmt: Annotated[CardFormat, Query(alias='format')] = 'png', spec: CardSpec = 'v2') -> Response:
    """Download the character as a card: `png` (the avatar with SillyTavern's `chara` V2 and `ccv3` V3 chunks),
    `json` (`spec` chooses `v2` or `v3`) or `charx` (a V3 CharX zip with the avatar as its main icon)."""
    download = await services.card_export.export(user, character_id, fmt, spec)
    return download_response(download)


def _localized(result: ImportResult, locale: str) -> ImportResult:
    if result.code is None:
        return result
    text = translate(result.code, locale, **result.params)
    return result.model_copy(update={'message': result.message if text == result.code else text})
