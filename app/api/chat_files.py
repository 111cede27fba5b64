"""`/api/v1/chats/import` and `/api/v1/chats/{id}/export`: chat files in (SillyTavern, Chub, CAI Tools, oobabooga,
Agnai, KoboldAI Lite, RisuAI, and plugins' formats) and out (SillyTavern JSONL, Markdown, text, and plugins' formats)
over REST.

The upload is parsed by hand (not with FastAPI's `UploadFile` parameter) so an oversized body is refused from its
declared length before the multipart parser spools it; the OpenAPI schema still documents the multipart form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ..errors import InvalidInputError
from ..services.chat_files import ChatFileLimits
from ..services.chats import ChatSummary
from .deps import CurrentUser, ServicesDep
from .downloads import download_response

router = APIRouter(prefix='/api/v1/chats', tags=['chats'])
FORM_OVERHEAD = 64 * 1024
IMPORT_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['file'], 'properties': {
        'file': {'type': 'string', 'format': 'binary', 'description': 'A chat file: SillyTavern or Chub (.jsonl), '
                 'CAI Tools, oobabooga, Agnai, KoboldAI Lite or RisuAI (.json).'},
        'character_id': {'type': 'string', 'description': 'The character to attach the chat to. Without it, the '
                                                          'character the file names picks yours by name.'}}}}}}}
EXPORT_RESPONSES = {200: {'description': 'The chat file, as an attachment.', 'content': {
    'application/jsonl': {'schema': {'type': 'string'}}, 'text/markdown': {'schema': {'type': 'string'}},
    'text/plain': {'schema': {'type': 'string'}}}}}


class ChatImportResult(ChatSummary):
    """The first imported chat's summary, the file's format and every chat the file became (several for CAI Tools
    histories and RisuAI "all chats" exports)."""

    source_format: str
    chats: list[ChatSummary]


@router.post('/import', response_model=ChatImportResult, status_code=201, openapi_extra=IMPORT_BODY)
async def import_chat(request: Request, user: CurrentUser, services: ServicesDep) -> ChatImportResult:
    """Import a chat file as new chats: SillyTavern (.jsonl, solo or group, with or without header), Chub, CAI Tools,
    oobabooga, Agnai, KoboldAI Lite or RisuAI.

    Send `multipart/form-data` with `file` and optionally `character_id`. Files over the size limit get 413;
    malformed files get 422 with the reason (the line or message number); a file that names no single character of
    yours (a headerless group chat, most .json formats) needs `character_id`.
    """
    limits = services.chat_import.limits
    _check_declared_size(request, limits)
    async with request.form(max_files=1, max_fields=4) as form:
        upload, character_id = form.get('file'), form.get('character_id')
        if not isinstance(upload, UploadFile):
            raise InvalidInputError('error.chat_file.missing', 'Attach the chat file as the "file" form field.')
        if (upload.size or 0) > limits.max_bytes:
            raise limits.too_large()
        data = await upload.read()
    chats = await services.chat_import.import_file(user, data, upload.filename or '',
                                                   str(character_id) if character_id else None)
    summaries = [ChatSummary.model_validate(chat, from_attributes=True) for chat in chats]
    return ChatImportResult(**summaries[0].model_dump(), source_format=chats[0].meta['source']['format'],
                            chats=summaries)


@router.get('/{chat_id}/export', response_class=Response, responses=EXPORT_RESPONSES)
async def export_chat(chat_id: str, user: CurrentUser, services: ServicesDep,
                      fmt: Annotated[str, Query(alias='format', max_length=64)] = 'jsonl') -> Response:
    """Download the chat: `jsonl` (SillyTavern, re-importable), `md` (Markdown), `txt` (plain text), or the id of an
    export format an enabled plugin adds; another value gets 422 listing the formats there are."""
    exported = await services.chat_export.export(user, chat_id, fmt)
    return download_response(exported)


def _check_declared_size(request: Request, limits: ChatFileLimits) -> None:
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > limits.max_bytes + FORM_OVERHEAD:
        raise limits.too_large()

