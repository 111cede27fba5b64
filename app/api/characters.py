"""`/api/v1/characters`: the caller's character library (search, CRUD, favourite, avatar, tags, samples)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from ..db.models import Character
from ..services.character_card import CharacterFields, CharacterUpdate, fields_of
from ..services.characters import CharacterPage, CharacterQuery, SampleCharacter
from ..services.media import MediaStore, avatar_url, thumbnail_url
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/characters', tags=['characters'])
IMAGE_BODY = {'schema': {'type': 'string', 'format': 'binary'}}
AVATAR_UPLOAD = {'requestBody': {'required': True, 'content': {
    'image/png': IMAGE_BODY, 'image/jpeg': IMAGE_BODY, 'image/webp': IMAGE_BODY}}}


class CharacterRead(BaseModel):
    id: str
    name: str
    fields: CharacterFields
    card: dict[str, Any]
    tags: list[str]
    avatar_url: str | None
    thumbnail_url: str | None
    favorite: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, character: Character) -> CharacterRead:
        fields = fields_of(character.card)
        return cls(id=character.id, name=character.name, fields=fields, card=character.card, tags=fields.tags,
                   avatar_url=avatar_url(character.avatar_hash), thumbnail_url=thumbnail_url(character.avatar_hash),
                   favorite=character.favorite, created_at=character.created_at, updated_at=character.updated_at)


class CharacterPatch(CharacterUpdate):
    """A partial edit of the card fields, and optionally the favourite flag."""

    favorite: bool | None = None


@router.get('', response_model=CharacterPage)
async def search(query: Annotated[CharacterQuery, Query()], user: CurrentUser,
                 services: ServicesDep) -> CharacterPage:
    """One page of your characters; `text` matches names (substring) or tags, `tag` filters by one tag."""
    return await services.characters.search(user, query)


@router.post('', response_model=CharacterRead, status_code=201)
async def create(body: CharacterFields, user: CurrentUser, services: ServicesDep) -> CharacterRead:
    return CharacterRead.of(await services.characters.create(user, body))


@router.get('/tags', response_model=list[str])
async def list_tags(user: CurrentUser, services: ServicesDep) -> list[str]:
    """Every tag on your characters, lower-cased and sorted."""
    return await services.characters.list_tags(user)


@router.get('/samples', response_model=list[SampleCharacter])
async def list_samples(_user: CurrentUser, services: ServicesDep) -> list[SampleCharacter]:
    return services.characters.samples()


@router.post('/samples/{slug}', response_model=CharacterRead, status_code=201)
async def add_sample(slug: str, user: CurrentUser, services: ServicesDep) -> CharacterRead:
    """Copy a bundled sample character into your library."""
    return CharacterRead.of(await services.characters.add_sample(user, slug))


@router.get('/{character_id}', response_model=CharacterRead)
async def get(character_id: str, user: CurrentUser, services: ServicesDep) -> CharacterRead:
    return CharacterRead.of(await services.characters.get(user, character_id))


@router.patch('/{character_id}', response_model=CharacterRead)
async def update(character_id: str, body: CharacterPatch, user: CurrentUser, services: ServicesDep) -> CharacterRead:
    """Change only the fields you send; unknown card fields and extensions are kept."""
    update = CharacterUpdate.model_validate(body.model_dump(exclude={'favorite'}))
    character = await services.characters.get(user, character_id)
    if update.model_dump(exclude_none=True):
        character = await services.characters.update(user, character_id, update)
    if body.favorite is not None:
        character = await services.characters.set_favorite(user, character_id, body.favorite)
    return CharacterRead.of(character)


@router.delete('/{character_id}', status_code=204)
async def delete(character_id: str, user: CurrentUser, services: ServicesDep) -> None:
    await services.characters.delete(user, character_id)


@router.put('/{character_id}/avatar', response_model=CharacterRead, openapi_extra=AVATAR_UPLOAD)
async def set_avatar(character_id: str, request: Request, user: CurrentUser, services: ServicesDep) -> CharacterRead:
    """Replace the avatar. Send the image itself as the raw request body (PNG, JPEG or WebP, not multipart);
    bodies above the server's size limit get 413, files that are not a usable image get 422."""
    data = await read_body(request, services.media)
    return CharacterRead.of(await services.characters.set_avatar(user, character_id, data))


async def read_body(request: Request, media: MediaStore) -> bytes:
    """The request body, refused with 413 as soon as it grows past the limit instead of after reading it all."""
    declared = request.headers.get('content-length', '')
    if declared.isdigit():
        media.check_size(int(declared))
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        media.check_size(len(body))
    return bytes(body)
