"""Chats and their messages: start a chat from a character, page through messages, edit, swipe, delete, branch.

Messages are rows keyed by (chat_id, seq) so a 10,000-message chat opens by reading one window of rows. Swipes
(alternative replies) live on their message; `content` always mirrors the selected swipe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import Character, Chat, Message, Persona, ProviderConnection, User
from ..db.types import utcnow
from ..errors import InvalidInputError, NotFoundError
from ..plugins.manager import PluginManager
from .character_card import fields_of
from .generation_settings import GenerationSettings
from .ownership import load_owned

MessageRole = Literal['user', 'assistant', 'system']
MAX_MESSAGE_LENGTH = 200_000
DEFAULT_WINDOW = 50
MAX_WINDOW = 200
BRANCH_OF_KEY = 'branch_of'  # chat.meta: the chat and message seq this chat was branched from
CHAT_METADATA_KEY = 'chat_metadata'  # chat.meta: SillyTavern's chat_metadata, kept verbatim
BOOKMARK_KEY = 'bookmark'  # message.meta: {'label': ...} when the user bookmarked the message
MAX_BOOKMARK_LABEL = 200


class ChatSummary(BaseModel):
    id: str
    character_id: str
    title: str
    message_count: int
    created_at: datetime
    updated_at: datetime


class MessagePage(BaseModel):
    """A window of messages in chronological order; `has_older` says whether "load older" has more to show."""

    items: list[Message]
    has_older: bool


class NewMessage(BaseModel):
    role: MessageRole
    content: str = Field(max_length=MAX_MESSAGE_LENGTH)
    name: str = Field(default='', max_length=200)
    status: Literal['complete', 'streaming'] = 'complete'
    meta: dict = Field(default_factory=dict)


class ChatConfig(BaseModel):
    """What a chat uses to reply; only the fields given are changed (`null` means "the default")."""

    connection_id: str | None = None
    persona_id: str | None = None
    settings: GenerationSettings | None = None


class ChatService:
    def __init__(self, db: Database, plugins: PluginManager) -> None:
        self.db = db
        self.plugins = plugins

    async def start(self, owner: User, character_id: str, *, persona_id: str | None = None) -> Chat:
        """A new chat whose first message is the character's greeting, with the alternate greetings as swipes."""
        async with self.db.session() as session:
            character = await session.get(Character, character_id)
            if character is None or character.owner_id != owner.id:
                raise NotFoundError('error.character.not_found', 'No such character.')
            fields = fields_of(character.card)
            chat = Chat(owner_id=owner.id, character_id=character.id, persona_id=persona_id,
                        title=f'{fields.name} – {utcnow():%Y-%m-%d %H:%M}')
            greetings = [text for text in [fields.first_mes, *fields.alternate_greetings] if text.strip()]
            session.add(chat)
            await session.flush()
            if greetings:
                session.add(Message(chat_id=chat.id, seq=0, role='assistant', name=fields.name,
                                    content=greetings[0], swipes=greetings))
                chat.message_count = 1
            await session.commit()
        self.plugins.notify('chat.created', {'user_id': owner.id, 'chat_id': chat.id,
                                             'character_id': chat.character_id})
        return chat

    async def get(self, owner: User, chat_id: str) -> Chat:
        async with self.db.session() as session:
            return await _load_chat(session, owner, chat_id)

    async def list_chats(self, owner: User, *, character_id: str | None = None, query: str = '',
                         offset: int = 0, limit: int = 50) -> list[ChatSummary]:
        """The owner's chats, newest activity first, optionally for one character and filtered by title."""
        statement = select(Chat).where(col(Chat.owner_id) == owner.id)
        if character_id:
            statement = statement.where(col(Chat.character_id) == character_id)
        if query.strip():
            statement = statement.where(func.lower(col(Chat.title)).contains(query.strip().lower(), autoescape=True))
        statement = statement.order_by(col(Chat.updated_at).desc(), col(Chat.id)).offset(offset).limit(min(limit, 200))
        async with self.db.session() as session:
            chats = (await session.exec(statement)).all()
        return [ChatSummary.model_validate(chat, from_attributes=True) for chat in chats]

    async def count(self, owner: User) -> int:
        """How many chats the owner has."""
        statement = select(func.count()).select_from(Chat).where(col(Chat.owner_id) == owner.id)
        async with self.db.session() as session:
            return (await session.exec(statement)).one()

    async def rename(self, owner: User, chat_id: str, title: str) -> Chat:
        title = ' '.join(title.split())[:200]
        if not title:
            raise InvalidInputError('error.chat.title_empty', 'A chat title cannot be empty.')
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            chat.title = title
            session.add(chat)
            await session.commit()
            return chat

    async def configure(self, owner: User, chat_id: str, config: ChatConfig) -> Chat:
        """Set the chat's connection, persona or generation settings (each checked to belong to the owner)."""
        given = config.model_fields_set
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            if 'connection_id' in given:
                if config.connection_id:
                    await load_owned(session, ProviderConnection, config.connection_id, owner,
                                     code='error.connection.not_found', message='No such connection.')
                chat.connection_id = config.connection_id or None
            if 'persona_id' in given:
                if config.persona_id:
                    await load_owned(session, Persona, config.persona_id, owner, code='error.persona.not_found',
                                     message='No such persona.')
                chat.persona_id = config.persona_id or None
            if 'settings' in given:
                chat.settings = config.settings.stored() if config.settings else {}
            session.add(chat)
            await session.commit()
            return chat

    async def update_meta(self, owner: User, chat_id: str, updates: dict[str, Any]) -> Chat:
        """Merge keys into the chat's metadata (SillyTavern's chat_metadata); a None value removes its key."""
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            merged = {**(chat.meta or {}), **updates}
            chat.meta = {key: value for key, value in merged.items() if value is not None}
            session.add(chat)
            await session.commit()
            return chat

    async def delete(self, owner: User, chat_id: str) -> None:
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            await session.delete(chat)
            await session.commit()

    async def message(self, owner: User, message_id: int) -> Message:
        async with self.db.session() as session:
            return await _load_message(session, owner, message_id)

    async def messages(self, owner: User, chat_id: str, *, before_seq: int | None = None,
                       limit: int = DEFAULT_WINDOW) -> MessagePage:
        """The newest `limit` messages before `before_seq` (or the newest overall), oldest first."""
        limit = max(1, min(limit, MAX_WINDOW))
        statement = select(Message).where(col(Message.chat_id) == chat_id)
        if before_seq is not None:
            statement = statement.where(col(Message.seq) < before_seq)
        statement = statement.order_by(col(Message.seq).desc()).limit(limit + 1)
        async with self.db.session() as session:
            await _load_chat(session, owner, chat_id)
            rows = list((await session.exec(statement)).all())
        return MessagePage(items=rows[:limit][::-1], has_older=len(rows) > limit)

    async def append(self, owner: User, chat_id: str, message: NewMessage) -> Message:
        """Add a message at the end of the chat (one INSERT plus the counter update, in one transaction)."""
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            seq = await _next_seq(session, chat.id)
            row = Message(chat_id=chat.id, seq=seq, role=message.role, name=message.name, content=message.content,
                          swipes=[message.content], status=message.status, meta=message.meta)
            session.add(row)
            await session.exec(update(Chat).where(col(Chat.id) == chat.id)
                               .values(message_count=Chat.message_count + 1, updated_at=utcnow()))
            await session.commit()
            return row

    async def edit(self, owner: User, message_id: int, content: str) -> Message:
        """Replace the text of a message (and of its selected swipe)."""
        if len(content) > MAX_MESSAGE_LENGTH:
            raise InvalidInputError('error.message.too_long', 'The message is too long.')
        async with self.db.session() as session:
            row = await _load_message(session, owner, message_id)
            swipes = list(row.swipes) or [row.content]
            swipes[row.swipe_index] = content
            row.swipes, row.content = swipes, content
            session.add(row)
            await session.commit()
            return row

    async def swipe(self, owner: User, message_id: int, direction: Literal[-1, 1]) -> Message:
        """Show the previous or next swipe; past either end it stays put (generating a new swipe is the caller's)."""
        async with self.db.session() as session:
            row = await _load_message(session, owner, message_id)
            index = max(0, min(len(row.swipes) - 1, row.swipe_index + direction))
            row.swipe_index, row.content = index, row.swipes[index] if row.swipes else row.content
            session.add(row)
            await session.commit()
            return row

    async def add_swipe(self, owner: User, message_id: int, content: str) -> Message:
        """Append a new alternative reply to a message and select it."""
        async with self.db.session() as session:
            row = await _load_message(session, owner, message_id)
            row.swipes = [*(row.swipes or [row.content]), content]
            row.swipe_index, row.content = len(row.swipes) - 1, content
            session.add(row)
            await session.commit()
            return row

    async def begin_reply(self, message_id: int, *, new_swipe: bool, stream_after: str) -> Message:
        """Mark a message as streaming before its text arrives; a new swipe starts empty and selected.

        `stream_after` is the chat stream's last event id before this reply, so a page opened mid-reply can replay
        exactly this reply's deltas.
        """
        async with self.db.session() as session:
            row = await session.get(Message, message_id)
            if row is None:
                raise NotFoundError('error.message.not_found', 'No such message.')
            if new_swipe:
                row.swipes = [*(row.swipes or [row.content]), '']
                row.swipe_index, row.content = len(row.swipes) - 1, ''
            row.status, row.error = 'streaming', None
            row.meta = {**(row.meta or {}), 'stream_after': stream_after}
            session.add(row)
            await session.commit()
            return row

    async def finish_reply(self, message_id: int, text: str, *, status: str, error: str | None = None,
                           meta: dict | None = None) -> Message:
        """Store a finished (or interrupted, or failed) reply in one write, as the selected swipe's text."""
        async with self.db.session() as session:
            row = await session.get(Message, message_id)
            if row is None:
                raise NotFoundError('error.message.not_found', 'No such message.')
            swipes = list(row.swipes or [row.content])
            swipes[row.swipe_index] = text
            row.swipes, row.content, row.status, row.error = swipes, text, status, error
            row.meta = {key: value for key, value in {**(row.meta or {}), **(meta or {})}.items()
                        if key != 'stream_after'}
            session.add(row)
            await session.commit()
            return row

    async def delete_messages(self, owner: User, chat_id: str, message_ids: list[int]) -> int:
        """Delete messages of one chat; returns how many were deleted."""
        async with self.db.session() as session:
            await _load_chat(session, owner, chat_id)
            result = await session.exec(delete(Message).where(col(Message.chat_id) == chat_id,
                                                              col(Message.id).in_(message_ids)))
            deleted = result.rowcount or 0
            await session.exec(update(Chat).where(col(Chat.id) == chat_id)
                               .values(message_count=Chat.message_count - deleted, updated_at=utcnow()))
            await session.commit()
            return deleted

    async def branch(self, owner: User, chat_id: str, up_to_seq: int) -> Chat:
        """A new chat holding copies of the messages up to and including `up_to_seq`."""
        async with self.db.session() as session:
            source = await _load_chat(session, owner, chat_id)
            chat = await copy_up_to(session, source, up_to_seq, f'{source.title} (branch)')
            await session.commit()
            return chat

    async def set_bookmark(self, owner: User, message_id: int, label: str | None) -> Message:
        """Bookmark a message (`meta['bookmark']`, with an optional label), or remove its bookmark with None."""
        async with self.db.session() as session:
            row = await _load_message(session, owner, message_id)
            meta = {key: value for key, value in (row.meta or {}).items() if key != BOOKMARK_KEY}
            if label is not None:
                meta[BOOKMARK_KEY] = {'label': ' '.join(label.split())[:MAX_BOOKMARK_LABEL]}
            row.meta = meta
            session.add(row)
            await session.commit()
            return row


async def copy_up_to(session: AsyncSession, source: Chat, up_to_seq: int, title: str) -> Chat:
    """Add a chat titled `title` holding copies of `source`'s messages up to `up_to_seq` (not committed).

    The copy remembers where it came from: `meta['branch_of']` = {chat_id, seq}, and SillyTavern's
    `chat_metadata.main_chat` = the parent's title, as SillyTavern's branches and checkpoints do.
    """
    rows = (await session.exec(select(Message).where(col(Message.chat_id) == source.id,
                                                     col(Message.seq) <= up_to_seq)
                               .order_by(col(Message.seq)))).all()
    metadata = {**(source.meta.get(CHAT_METADATA_KEY) or {}), 'main_chat': source.title}
    meta = {**source.meta, CHAT_METADATA_KEY: metadata, BRANCH_OF_KEY: {'chat_id': source.id, 'seq': up_to_seq}}
    chat = Chat(owner_id=source.owner_id, character_id=source.character_id, persona_id=source.persona_id,
                connection_id=source.connection_id, settings=dict(source.settings), meta=meta,
                title=title[:200], message_count=len(rows))
    session.add(chat)
    await session.flush()
    session.add_all(Message(chat_id=chat.id, seq=index, role=row.role, name=row.name, content=row.content,
                            swipes=list(row.swipes), swipe_index=row.swipe_index, status=row.status,
                            meta=dict(row.meta)) for index, row in enumerate(rows))
    return chat


async def _load_chat(session: AsyncSession, owner: User, chat_id: str) -> Chat:
    return await load_owned(session, Chat, chat_id, owner, code='error.chat.not_found', message='No such chat.')


async def _load_message(session: AsyncSession, owner: User, message_id: int) -> Message:
    row = await session.get(Message, message_id)
    if row is None:
        raise NotFoundError('error.message.not_found', 'No such message.')
    await _load_chat(session, owner, row.chat_id)
    return row


async def _next_seq(session: AsyncSession, chat_id: str) -> int:
    last = (await session.exec(select(func.max(col(Message.seq))).where(col(Message.chat_id) == chat_id))).one()
    return 0 if last is None else last + 1
