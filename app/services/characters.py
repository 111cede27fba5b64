"""The user's character library: create, edit, search, favourite and delete characters, and add the samples.

Every method takes the owner and treats another user's character exactly like a missing one.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import Character, CharacterTag, Chat, User
from ..db.types import utcnow
from ..errors import NotFoundError
from ..plugins.manager import PluginManager
from .card_formats.content_hash import content_hash
from .character_card import CharacterFields, CharacterUpdate, apply_update, fields_of, new_card
from .character_notes import CharacterNotes
from .media import MediaStore, thumbnail_url
from .ownership import load_owned

SAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / 'data' / 'samples'
SHORT_DESCRIPTION_LENGTH = 160


class CharacterQuery(BaseModel):
    text: str = Field(default='', max_length=200)
    tag: str = Field(default='', max_length=100)
    sort: Literal['recent', 'name', 'chats'] = 'recent'
    favorites_only: bool = False
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=48, ge=1, le=200)


class CharacterSummary(BaseModel):
    id: str
    name: str
    tags: list[str]
    short_description: str
    avatar_hash: str | None
    thumbnail_url: str | None
    favorite: bool
    chat_count: int
    updated_at: datetime


class CharacterPage(BaseModel):
    items: list[CharacterSummary]
    total: int


class SampleCharacter(BaseModel):
    slug: str
    name: str
    tags: list[str]
    short_description: str
    locale: str


class CharacterService:
    def __init__(self, db: Database, media: MediaStore, plugins: PluginManager) -> None:
        self.db = db
        self.media = media
        self.plugins = plugins

    async def create(self, owner: User, fields: CharacterFields) -> Character:
        return await self._insert(owner, new_card(fields))

    async def get(self, owner: User, character_id: str) -> Character:
        async with self.db.session() as session:
            return await self._load(session, owner, character_id)

    async def update(self, owner: User, character_id: str, update: CharacterUpdate) -> Character:
        """Change the given fields; the rest of the card, including unknown fields, stays as it was."""
        async with self.db.session() as session:
            character = await self._load(session, owner, character_id)
            character.card = apply_update(character.card, update)
            _sync_columns(character)
            character.updated_at = utcnow()
            session.add(character)
            if update.tags is not None:
                await session.exec(delete(CharacterTag).where(col(CharacterTag.character_id) == character.id))
                session.add_all(_tag_rows(character))
            await session.commit()
            return character

    async def set_notes(self, owner: User, character_id: str, notes: CharacterNotes) -> Character:
        """Store the character's note (`depth_prompt`) and its own author's note in the card."""
        async with self.db.session() as session:
            character = await self._load(session, owner, character_id)
            character.card = notes.applied_to(character.card)
            character.updated_at = utcnow()
            session.add(character)
            await session.commit()
            return character

    async def delete(self, owner: User, character_id: str) -> None:
        """Delete the character; its tags and chats go with it (ON DELETE CASCADE)."""
        async with self.db.session() as session:
            character = await self._load(session, owner, character_id)
            await session.delete(character)
            await session.commit()

    async def search(self, owner: User, query: CharacterQuery) -> CharacterPage:
        """One page of the owner's characters matching `query`, plus the total number of matches."""
        conditions = _conditions(owner, query)
        chat_counts = (select(col(Chat.character_id), func.count().label('chats'))
                       .where(col(Chat.owner_id) == owner.id).group_by(col(Chat.character_id)).subquery())
        chat_count = func.coalesce(chat_counts.c.chats, 0)
        statement = (select(Character, chat_count)
                     .outerjoin(chat_counts, chat_counts.c.character_id == col(Character.id))
                     .where(*conditions).order_by(*_order(query.sort, chat_count))
                     .offset(query.offset).limit(query.limit))
        async with self.db.session() as session:
            total = (await session.exec(select(func.count()).select_from(Character).where(*conditions))).one()
            rows = (await session.exec(statement)).all()
        return CharacterPage(items=[summarize(character, count) for character, count in rows], total=total)

    async def set_favorite(self, owner: User, character_id: str, favorite: bool) -> Character:
        async with self.db.session() as session:
            character = await self._load(session, owner, character_id)
            character.favorite = favorite
            session.add(character)
            await session.commit()
            return character

    async def set_avatar(self, owner: User, character_id: str, data: bytes) -> Character:
        """Validate and store the image, then point the character at it."""
        await self.get(owner, character_id)
        digest = await self.media.store_avatar(data)
        async with self.db.session() as session:
            character = await self._load(session, owner, character_id)
            character.avatar_hash = digest
            character.updated_at = utcnow()
            session.add(character)
            await session.commit()
            return character

    async def list_tags(self, owner: User) -> list[str]:
        statement = (select(CharacterTag.tag).distinct()
                     .join(Character, col(Character.id) == col(CharacterTag.character_id))
                     .where(col(Character.owner_id) == owner.id).order_by(col(CharacterTag.tag)))
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())

    def samples(self) -> list[SampleCharacter]:
        return list(_samples())

    async def add_sample(self, owner: User, slug: str) -> Character:
        """Copy a bundled sample character (card and avatar) into the owner's library."""
        if slug not in {sample.slug for sample in _samples()}:
            raise NotFoundError('error.character.sample_not_found', 'No such sample character.')
        card = _sample_card(slug)
        digest = await self.media.store_avatar((SAMPLES_DIR / f'{slug}.png').read_bytes())
        return await self._insert(owner, card, digest)

    async def import_card(self, owner: User, card: dict[str, Any], avatar_hash: str | None = None) -> Character:
        """Add a card read from a file (already a canonical V3 document), with its stored picture if it had one."""
        return await self._insert(owner, card, avatar_hash)

    async def find_by_content(self, owner: User, digest: str) -> Character | None:
        """One of the owner's characters whose card content has this hash (see `content_hash`), if any."""
        statement = (select(Character).where(col(Character.owner_id) == owner.id,
                                             col(Character.content_hash) == digest)
                     .order_by(col(Character.created_at)).limit(1))
        async with self.db.session() as session:
            return (await session.exec(statement)).first()

    async def _insert(self, owner: User, card: dict[str, Any], avatar_hash: str | None = None) -> Character:
        character = Character(owner_id=owner.id, name='', card=card, avatar_hash=avatar_hash)
        _sync_columns(character)
        async with self.db.session() as session:
            session.add(character)
            await session.flush()
            session.add_all(_tag_rows(character))
            await session.commit()
        self.plugins.notify('character.created', {'user_id': owner.id, 'character_id': character.id,
                                                  'name': character.name})
        return character

    @staticmethod
    async def _load(session: AsyncSession, owner: User, character_id: str) -> Character:
        return await load_owned(session, Character, character_id, owner, code='error.character.not_found',
                                message='No such character.')


def summarize(character: Character, chat_count: int = 0) -> CharacterSummary:
    """The library-card view of a character."""
    fields = fields_of(character.card)
    return CharacterSummary(id=character.id, name=character.name, tags=fields.tags,
                            short_description=short_description(fields), avatar_hash=character.avatar_hash,
                            thumbnail_url=thumbnail_url(character.avatar_hash), favorite=character.favorite,
                            chat_count=chat_count, updated_at=character.updated_at)


def short_description(fields: CharacterFields) -> str:
    """The first words of the creator's notes (or else the description) on one line."""
    text = ' '.join((fields.creator_notes or fields.description).split())
    if len(text) <= SHORT_DESCRIPTION_LENGTH:
        return text
    return text[:SHORT_DESCRIPTION_LENGTH - 1].rstrip() + '…'


def _sync_columns(character: Character) -> None:
    fields = fields_of(character.card)
    character.name = fields.name
    character.creator = fields.creator
    character.content_hash = content_hash(character.card)


def _tag_rows(character: Character) -> list[CharacterTag]:
    tags = {tag.lower() for tag in fields_of(character.card).tags}
    return [CharacterTag(character_id=character.id, tag=tag) for tag in sorted(tags)]


def _conditions(owner: User, query: CharacterQuery) -> list[Any]:
    conditions: list[Any] = [col(Character.owner_id) == owner.id]
    if query.favorites_only:
        conditions.append(col(Character.favorite).is_(True))
    if query.tag.strip():
        conditions.append(_has_tag(query.tag))
    text = query.text.strip()
    if text:
        conditions.append(or_(func.lower(col(Character.name)).contains(text.lower(), autoescape=True),
                              _has_tag(text)))
    return conditions


def _has_tag(tag: str) -> Any:
    return exists().where(col(CharacterTag.character_id) == col(Character.id),
                          col(CharacterTag.tag) == ' '.join(tag.split()).lower())


def _order(sort: str, chat_count: Any) -> list[Any]:
    if sort == 'name':
        return [func.lower(col(Character.name)), col(Character.id)]
    if sort == 'chats':
        return [chat_count.desc(), col(Character.updated_at).desc(), col(Character.id)]
    return [col(Character.updated_at).desc(), col(Character.id)]


@cache
def _samples() -> tuple[SampleCharacter, ...]:
    catalog = json.loads((SAMPLES_DIR / 'catalog.json').read_text(encoding='utf-8'))
    result = []
    for entry in catalog:
        fields = fields_of(_sample_card(entry['slug']))
        result.append(SampleCharacter(slug=entry['slug'], name=fields.name, tags=fields.tags,
                                      short_description=short_description(fields), locale=entry['locale']))
    return tuple(result)


def _sample_card(slug: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / f'{slug}.json').read_text(encoding='utf-8'))
