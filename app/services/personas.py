"""Personas: who the user plays as in a chat (a name, a description the character may know, an avatar).

A user may mark one persona as the default; marking another one moves the mark, so there is never more than one.
Avatars are stored exactly like character avatars (content-addressed by the media store). Deleting a persona leaves
the chats that used it intact: their `persona_id` becomes NULL (ON DELETE SET NULL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import Chat, Persona, User
from ..db.types import utcnow
from .media import MediaStore, avatar_url, thumbnail_url
from .ownership import clear_default, load_owned
from .prompting.chat_completion import Persona as PromptPersona

MAX_DESCRIPTION = 20_000

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]


class PersonaFields(BaseModel):
    name: Name
    description: Description = ''
    is_default: bool = False


class PersonaUpdate(BaseModel):
    """A partial edit: every field left as None stays unchanged."""

    name: Name | None = None
    description: Description | None = None
    is_default: bool | None = None


class PersonaRead(BaseModel):
    id: str
    name: str
    description: str
    avatar_url: str | None
    thumbnail_url: str | None
    is_default: bool
    updated_at: datetime

    @classmethod
    def of(cls, persona: Persona) -> PersonaRead:
        return cls(id=persona.id, name=persona.name, description=persona.description,
                   avatar_url=avatar_url(persona.avatar_hash), thumbnail_url=thumbnail_url(persona.avatar_hash),
                   is_default=persona.is_default, updated_at=persona.updated_at)


class PersonaService:
    def __init__(self, db: Database, media: MediaStore) -> None:
        self.db = db
        self.media = media

    async def create(self, owner: User, fields: PersonaFields) -> Persona:
        persona = Persona(owner_id=owner.id, name=fields.name, description=fields.description,
                          is_default=fields.is_default)
        async with self.db.session() as session:
            if fields.is_default:
                await clear_default(session, Persona, owner)
            session.add(persona)
            await session.commit()
            return persona

    async def list(self, owner: User) -> list[Persona]:
        """The owner's personas: the default one first, then by name."""
        statement = select(Persona).where(col(Persona.owner_id) == owner.id) \
            .order_by(col(Persona.is_default).desc(), func.lower(col(Persona.name)), col(Persona.id))
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())

    async def get(self, owner: User, persona_id: str) -> Persona:
        async with self.db.session() as session:
            return await _load(session, owner, persona_id)

    async def default(self, owner: User) -> Persona | None:
        """The persona the owner plays as unless a chat says otherwise, or None when none is marked."""
        statement = select(Persona).where(col(Persona.owner_id) == owner.id, col(Persona.is_default).is_(True)) \
            .order_by(col(Persona.updated_at).desc())
        async with self.db.session() as session:
            return (await session.exec(statement)).first()

    async def for_chat(self, owner: User, chat: Chat) -> PromptPersona:
        """Who the user plays in this chat: its persona, else the default persona, else their display name."""
        async with self.db.session() as session:
            persona = await session.get(Persona, chat.persona_id) if chat.persona_id else None
        persona = persona if persona and persona.owner_id == owner.id else await self.default(owner)
        if persona is None:
            return PromptPersona(name=owner.display_name or owner.handle)
        return PromptPersona(name=persona.name, description=persona.description)

    async def update(self, owner: User, persona_id: str, update: PersonaUpdate) -> Persona:
        async with self.db.session() as session:
            persona = await _load(session, owner, persona_id)
            if update.name is not None:
                persona.name = update.name
            if update.description is not None:
                persona.description = update.description
            if update.is_default:
                await clear_default(session, Persona, owner)
            if update.is_default is not None:
                persona.is_default = update.is_default
            persona.updated_at = utcnow()
            session.add(persona)
            await session.commit()
            return persona

    async def delete(self, owner: User, persona_id: str) -> None:
        """Delete the persona; chats that used it keep working without one (ON DELETE SET NULL)."""
        async with self.db.session() as session:
            await session.delete(await _load(session, owner, persona_id))
            await session.commit()

    async def set_avatar(self, owner: User, persona_id: str, data: bytes) -> Persona:
        """Validate and store the image (same limits as character avatars), then point the persona at it."""
        await self.get(owner, persona_id)
        digest = await self.media.store_avatar(data)
        async with self.db.session() as session:
            persona = await _load(session, owner, persona_id)
            persona.avatar_hash = digest
            persona.updated_at = utcnow()
            session.add(persona)
            await session.commit()
            return persona


async def _load(session: AsyncSession, owner: User, persona_id: str) -> Persona:
    return await load_owned(session, Persona, persona_id, owner, code='error.persona.not_found',
                            message='No such persona.')
