"""`/api/v1/lorebooks` and `/api/v1/world-info/settings`: the caller's lorebooks (SillyTavern World Info) and their
entries, import and export of world files, which books apply where, and the world-info settings.

Entries are addressed by their `uid` within the book and spoken in SillyTavern's spelling (`key`, `keysecondary`,
`selectiveLogic`, ...), so a world file's entry can be sent as it is.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ..errors import InvalidInputError, PayloadTooLargeError
from ..i18n import pick_locale, translate
from ..services.lorebooks.files import MAX_IMPORT_FILES, too_many_files
from ..services.lorebooks.schemas import (
    BindingsRead,
    BookList,
    BulkEdit,
    BulkResult,
    EntryFields,
    EntryRead,
    LorebookFields,
    LorebookImportReport,
    LorebookImportResult,
    LorebookRead,
    LorebookUpdate,
    OneBook,
)
from ..services.lorebooks.settings import WorldInfoSettingsFields
from ..services.world_info.entry import WorldEntry
from ..services.world_info.formats import MAX_FILE_BYTES, MEGABYTE
from .deps import CurrentUser, ServicesDep
from .downloads import download_response

router = APIRouter(prefix='/api/v1/lorebooks', tags=['lorebooks'])
settings_router = APIRouter(prefix='/api/v1/world-info', tags=['lorebooks'])
FORM_OVERHEAD = 64 * 1024
IMPORT_BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['files'], 'properties': {'files': {
        'type': 'array', 'items': {'type': 'string', 'format': 'binary'},
        'description': 'One or more lorebook files: SillyTavern World Info JSON, a Card V2 character_book, a '
                       'character card JSON with a book, or an Agnai, NovelAI or RisuAI lorebook.'}}}}}}}
EXPORT_RESPONSES = {200: {'description': 'The lorebook as a JSON attachment.',
                          'content': {'application/json': {'schema': {'type': 'object'}}}}}


def _entry(entry: WorldEntry) -> EntryRead:
    return EntryRead(uid=entry.uid, entry=entry.to_st())


@router.get('', response_model=list[LorebookRead])
async def list_lorebooks(user: CurrentUser, services: ServicesDep) -> list[LorebookRead]:
    """Your lorebooks by name, with their number of entries and whether each is globally active."""
    return await services.lorebooks.list(user)


@router.post('', response_model=LorebookRead, status_code=201)
async def create_lorebook(body: LorebookFields, user: CurrentUser, services: ServicesDep) -> LorebookRead:
    """A new, empty lorebook; a name you already use gets 409."""
    book = await services.lorebooks.create(user, body)
    return LorebookRead.of(book, 0, False)


@router.post('/import', response_model=LorebookImportReport, openapi_extra=IMPORT_BODY)
async def import_lorebooks(request: Request, user: CurrentUser, services: ServicesDep) -> LorebookImportReport:
    """Import lorebook files; each file gets its own result (`imported` with the new `lorebook_id`, or `failed`
    with `code` and a `message` in your language). A name you already use gets a number: "Name (2)"."""
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > MAX_IMPORT_FILES * MAX_FILE_BYTES + FORM_OVERHEAD:
        raise _too_large()
    results: list[LorebookImportResult] = []
    async with request.form(max_files=MAX_IMPORT_FILES, max_fields=MAX_IMPORT_FILES) as form:
        uploads = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if not uploads:
            raise InvalidInputError('error.lorebook.missing_files', 'Attach at least one lorebook file to the form.')
        if len(uploads) > MAX_IMPORT_FILES:
            raise too_many_files()
        for upload in uploads:
            data = await upload.read(MAX_FILE_BYTES + 1)
            results.append(await services.lorebooks.import_file(user, upload.filename or 'lorebook.json', data))
    locale = pick_locale(accept_language=request.headers.get('accept-language', ''))
    return LorebookImportReport.of([_localized(result, locale) for result in results])


@router.get('/bindings', response_model=BindingsRead)
async def get_bindings(user: CurrentUser, services: ServicesDep) -> BindingsRead:
    """Which of your books apply where: globally, per character (primary book first), per chat, per persona."""
    return await services.lorebooks.bindings(user)


@router.put('/bindings/global', response_model=BindingsRead)
async def set_global_books(body: BookList, user: CurrentUser, services: ServicesDep) -> BindingsRead:
    """Make exactly these books active in every chat."""
    await services.lorebooks.set_global_books(user, body.lorebook_ids)
    return await services.lorebooks.bindings(user)


@router.put('/bindings/characters/{character_id}', response_model=BindingsRead)
async def set_character_books(character_id: str, body: BookList, user: CurrentUser,
                              services: ServicesDep) -> BindingsRead:
    """The character's books; the first is its primary book, the one its exported card carries."""
    await services.lorebooks.set_character_books(user, character_id, body.lorebook_ids)
    return await services.lorebooks.bindings(user)


@router.put('/bindings/chats/{chat_id}', response_model=BindingsRead)
async def set_chat_book(chat_id: str, body: OneBook, user: CurrentUser, services: ServicesDep) -> BindingsRead:
    """The chat's own book (null for none)."""
    await services.lorebooks.set_chat_book(user, chat_id, body.lorebook_id)
    return await services.lorebooks.bindings(user)


@router.put('/bindings/personas/{persona_id}', response_model=BindingsRead)
async def set_persona_book(persona_id: str, body: OneBook, user: CurrentUser, services: ServicesDep) -> BindingsRead:
    """The persona's book (null for none), used in every chat played as that persona."""
    await services.lorebooks.set_persona_book(user, persona_id, body.lorebook_id)
    return await services.lorebooks.bindings(user)


@router.get('/{lorebook_id}', response_model=LorebookRead)
async def get_lorebook(lorebook_id: str, user: CurrentUser, services: ServicesDep) -> LorebookRead:
    return await services.lorebooks.read(user, lorebook_id)


@router.patch('/{lorebook_id}', response_model=LorebookRead)
async def update_lorebook(lorebook_id: str, body: LorebookUpdate, user: CurrentUser,
                          services: ServicesDep) -> LorebookRead:
    """Rename the book or change its description."""
    await services.lorebooks.update(user, lorebook_id, body)
    return await services.lorebooks.read(user, lorebook_id)


@router.delete('/{lorebook_id}', status_code=204)
async def delete_lorebook(lorebook_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """Delete the book with its entries; chats and characters that used it go on without it."""
    await services.lorebooks.delete(user, lorebook_id)


@router.get('/{lorebook_id}/entries', response_model=list[EntryRead])
async def list_entries(lorebook_id: str, user: CurrentUser, services: ServicesDep,
                       q: Annotated[str, Query(max_length=200, description='Keep entries whose keys, title or '
                                                                           'content contain this text.')] = ''
                       ) -> list[EntryRead]:
    """The book's entries in display order."""
    return [_entry(entry) for entry in await services.lorebooks.entries(user, lorebook_id, q)]


@router.post('/{lorebook_id}/entries', response_model=EntryRead, status_code=201)
async def create_entry(lorebook_id: str, body: EntryFields, user: CurrentUser, services: ServicesDep) -> EntryRead:
    """Add an entry; fields left out get SillyTavern's defaults, the uid is one above the highest."""
    return _entry(await services.lorebooks.create_entry(user, lorebook_id, body.changes()))


@router.post('/{lorebook_id}/entries/bulk', response_model=BulkResult)
async def bulk_edit(lorebook_id: str, body: BulkEdit, user: CurrentUser, services: ServicesDep) -> BulkResult:
    """Delete the entries with these uids, or set the given fields (enable/disable, position, order, depth,
    probability, group) on all of them."""
    return BulkResult(changed=await services.lorebooks.bulk_edit(user, lorebook_id, body))


@router.patch('/{lorebook_id}/entries/{uid}', response_model=EntryRead)
async def update_entry(lorebook_id: str, uid: int, body: EntryFields, user: CurrentUser,
                       services: ServicesDep) -> EntryRead:
    """Change only the fields you send; the others stay exactly as they were."""
    return _entry(await services.lorebooks.update_entry(user, lorebook_id, uid, body.changes()))


@router.delete('/{lorebook_id}/entries/{uid}', status_code=204)
async def delete_entry(lorebook_id: str, uid: int, user: CurrentUser, services: ServicesDep) -> None:
    await services.lorebooks.delete_entry(user, lorebook_id, uid)


@router.get('/{lorebook_id}/export', response_class=Response, responses=EXPORT_RESPONSES)
async def export_lorebook(lorebook_id: str, user: CurrentUser, services: ServicesDep,
                          fmt: Annotated[Literal['world', 'character_book'], Query(alias='format')] = 'world'
                          ) -> Response:
    """Download the book as a SillyTavern World Info file (`world`) or as a Card V2 `character_book` object."""
    lorebooks = services.lorebooks
    download = await (lorebooks.export_world(user, lorebook_id) if fmt == 'world'
                      else lorebooks.export_character_book(user, lorebook_id))
    return download_response(download)


@settings_router.get('/settings', response_model=WorldInfoSettingsFields)
async def get_settings(user: CurrentUser, services: ServicesDep) -> WorldInfoSettingsFields:
    """Your world-info settings (SillyTavern's defaults until you change them)."""
    return WorldInfoSettingsFields.of(await services.lorebooks.world_info_settings(user))


@settings_router.put('/settings', response_model=WorldInfoSettingsFields)
async def put_settings(body: WorldInfoSettingsFields, user: CurrentUser,
                       services: ServicesDep) -> WorldInfoSettingsFields:
    """Replace your world-info settings; fields left out get their defaults."""
    stored = await services.lorebooks.update_world_info_settings(user, body.to_settings())
    return WorldInfoSettingsFields.of(stored)


def _too_large() -> PayloadTooLargeError:
    limit = MAX_FILE_BYTES // MEGABYTE
    return PayloadTooLargeError('error.lorebook.upload_too_large',
                                f'The upload is too large: at most {MAX_IMPORT_FILES} files of {limit} MB each.',
                                max_files=MAX_IMPORT_FILES, max_mb=limit)


def _localized(result: LorebookImportResult, locale: str) -> LorebookImportResult:
    if result.code is None:
        return result
    text = translate(result.code, locale, **result.params)
    return result.model_copy(update={'message': result.message if text == result.code else text})
