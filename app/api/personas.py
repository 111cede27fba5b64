"""`/api/v1/personas`: who the caller plays as in chats (CRUD, the one default persona, the avatar)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..services.personas import PersonaFields, PersonaRead, PersonaUpdate
from .characters import AVATAR_UPLOAD, read_body
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/personas', tags=['personas'])


@router.get('', response_model=list[PersonaRead])
async def list_personas(user: CurrentUser, services: ServicesDep) -> list[PersonaRead]:
    """Your personas, the default one first, then by name."""
    return [PersonaRead.of(persona) for persona in await services.personas.list(user)]


@router.post('', response_model=PersonaRead, status_code=201)
async def create_persona(body: PersonaFields, user: CurrentUser, services: ServicesDep) -> PersonaRead:
    """Add a persona; `is_default: true` takes the default mark from any other persona."""
    return PersonaRead.of(await services.personas.create(user, body))


@router.get('/{persona_id}', response_model=PersonaRead)
async def get_persona(persona_id: str, user: CurrentUser, services: ServicesDep) -> PersonaRead:
    return PersonaRead.of(await services.personas.get(user, persona_id))


@router.patch('/{persona_id}', response_model=PersonaRead)
async def update_persona(persona_id: str, body: PersonaUpdate, user: CurrentUser,
                         services: ServicesDep) -> PersonaRead:
    """Change only the fields you send."""
    return PersonaRead.of(await services.personas.update(user, persona_id, body))


@router.delete('/{persona_id}', status_code=204)
async def delete_persona(persona_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """Delete the persona; chats that used it stay, without a persona."""
    await services.personas.delete(user, persona_id)


@router.put('/{persona_id}/avatar', response_model=PersonaRead, openapi_extra=AVATAR_UPLOAD)
async def set_persona_avatar(persona_id: str, request: Request, user: CurrentUser,
                             services: ServicesDep) -> PersonaRead:
    """Replace the avatar. Send the image itself as the raw request body (PNG, JPEG or WebP, not multipart);
    bodies above the server's size limit get 413, files that are not a usable image get 422."""
    data = await read_body(request, services.media)
    return PersonaRead.of(await services.personas.set_avatar(user, persona_id, data))
