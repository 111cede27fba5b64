"""Finding chats across a user's whole library: every chat, newest first, and full-text search in messages.

Search is a case-insensitive substring match (SQL `LIKE` on the lower-cased text, with `%`, `_` and the escape
character in the query escaped), so it works the same for Chinese, which has no spaces to split words on, and on
SQLite and PostgreSQL without extra indexes. It looks at a message's shown text (its selected swipe) and at chat
titles. Results are grouped by chat, newest activity first, and paged with an opaque cursor (the last chat's
`updated_at` and id), so a page never repeats or skips a chat while the user pages on. SQLite's `lower()` folds
only ASCII letters, so there "É" does not find "é"; PostgreSQL folds every script.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, or_
from sqlmodel import col, select

from ..db.database import Database
from ..db.models import Character, Chat, Message, User
from ..errors import InvalidInputError
from .media import thumbnail_url

MAX_QUERY_LENGTH = 200
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
HITS_PER_CHAT = 3
CONTEXT_BEFORE = 60
CONTEXT_AFTER = 120
ELLIPSIS = '…'
WHITESPACE = re.compile(r'\s+')


class Snippet(BaseModel):
    """A piece of a message around the first match: `before` + `match` + `after`, trimmed with "…"."""

    before: str
    match: str
    after: str


class MessageHit(BaseModel):
    message_id: int
    seq: int
    role: str
    name: str
    created_at: datetime
    snippet: Snippet


class ChatHits(BaseModel):
    """One chat in the results: its matching messages (newest first, at most a few) and how many matched."""

    chat_id: str
    title: str
    character_id: str
    character_name: str
    message_count: int
    updated_at: datetime
    title_match: bool
    match_count: int
    hits: list[MessageHit]


class SearchPage(BaseModel):
    items: list[ChatHits]
    next_cursor: str | None


class ChatListing(BaseModel):
    """A chat as the Chats page lists it, with its character's name and picture."""

    id: str
    title: str
    character_id: str
    character_name: str
    thumbnail_url: str | None
    message_count: int
    updated_at: datetime


class ListingPage(BaseModel):
    items: list[ChatListing]
    next_cursor: str | None


class CharacterChoice(BaseModel):
    id: str
    name: str


class ChatSearchService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(self, owner: User, query: str, *, character_id: str | None = None, limit: int = DEFAULT_LIMIT,
                     cursor: str | None = None) -> SearchPage:
        """The owner's chats whose messages or title contain `query` (ignoring case), newest activity first."""
        needle = _needle(query)
        limit = max(1, min(limit, MAX_LIMIT))
        in_message = func.lower(col(Message.content)).contains(needle, autoescape=True)
        in_title = func.lower(col(Chat.title)).contains(needle, autoescape=True)
        has_hit = exists().where(col(Message.chat_id) == col(Chat.id), in_message)
        statement = select(col(Chat.id), col(Chat.title), col(Chat.character_id), col(Character.name),
                           col(Chat.message_count), col(Chat.updated_at), in_title.label('title_match')) \
            .join(Character, col(Character.id) == col(Chat.character_id)) \
            .where(*_owned(owner, character_id), *_after(cursor), or_(in_title, has_hit)) \
            .order_by(col(Chat.updated_at).desc(), col(Chat.id)).limit(limit + 1)
        async with self.db.session() as session:
            chats = (await session.exec(statement)).all()
            hits, counts = await _hits(session, [row[0] for row in chats[:limit]], in_message, query)
        items = [ChatHits(chat_id=chat_id, title=title, character_id=char_id, character_name=name,
                          message_count=count, updated_at=updated, title_match=bool(title_match),
                          match_count=counts.get(chat_id, 0), hits=hits.get(chat_id, []))
                 for chat_id, title, char_id, name, count, updated, title_match in chats[:limit]]
        more = len(chats) > limit
        return SearchPage(items=items, next_cursor=_cursor(items[-1].updated_at, items[-1].chat_id) if more else None)

    async def browse(self, owner: User, *, character_id: str | None = None, limit: int = DEFAULT_LIMIT,
                     cursor: str | None = None) -> ListingPage:
        """Every chat of the owner (or of one of their characters), newest activity first."""
        limit = max(1, min(limit, MAX_LIMIT))
        statement = select(col(Chat.id), col(Chat.title), col(Chat.character_id), col(Character.name),
                           col(Character.avatar_hash), col(Chat.message_count), col(Chat.updated_at)) \
            .join(Character, col(Character.id) == col(Chat.character_id)) \
            .where(*_owned(owner, character_id), *_after(cursor)) \
            .order_by(col(Chat.updated_at).desc(), col(Chat.id)).limit(limit + 1)
        async with self.db.session() as session:
            rows = (await session.exec(statement)).all()
        items = [ChatListing(id=chat_id, title=title, character_id=char_id, character_name=name,
                             thumbnail_url=thumbnail_url(avatar_hash), message_count=count, updated_at=updated)
                 for chat_id, title, char_id, name, avatar_hash, count, updated in rows[:limit]]
        more = len(rows) > limit
        return ListingPage(items=items, next_cursor=_cursor(items[-1].updated_at, items[-1].id) if more else None)

    async def characters_with_chats(self, owner: User) -> list[CharacterChoice]:
        """The owner's characters that have at least one chat, by name (for the Chats page's filter)."""
        statement = select(col(Character.id), col(Character.name)) \
            .where(col(Character.owner_id) == owner.id, exists().where(col(Chat.character_id) == col(Character.id))) \
            .order_by(func.lower(col(Character.name)), col(Character.id))
        async with self.db.session() as session:
            rows = (await session.exec(statement)).all()
        return [CharacterChoice(id=character_id, name=name) for character_id, name in rows]


def make_snippet(text: str, query: str) -> Snippet:
    """The text around the first case-insensitive occurrence of `query`, on one line, trimmed on both sides."""
    found = re.search(re.escape(query), text, flags=re.IGNORECASE)
    start, end = (found.start(), found.end()) if found else (0, 0)
    before = text[max(0, start - CONTEXT_BEFORE):start]
    after = text[end:end + CONTEXT_AFTER]
    return Snippet(before=(ELLIPSIS if start > CONTEXT_BEFORE else '') + _one_line(before).lstrip(),
                   match=_one_line(text[start:end]),
                   after=_one_line(after).rstrip() + (ELLIPSIS if end + CONTEXT_AFTER < len(text) else ''))


def _needle(query: str) -> str:
    text = query.strip()
    if not text:
        raise InvalidInputError('error.chat_search.empty', 'Type something to search for.')
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInputError('error.chat_search.too_long', f'Search for at most {MAX_QUERY_LENGTH} characters.',
                                limit=MAX_QUERY_LENGTH)
    return text.lower()


def _owned(owner: User, character_id: str | None) -> list[Any]:
    conditions: list[Any] = [col(Chat.owner_id) == owner.id]
    if character_id:
        conditions.append(col(Chat.character_id) == character_id)
    return conditions


def _after(cursor: str | None) -> list[Any]:
    """Keyset paging: the chats that come after the cursor's chat in (updated_at desc, id) order."""
    if not cursor:
        return []
    updated_at, chat_id = _read_cursor(cursor)
    return [or_(col(Chat.updated_at) < updated_at,
                and_(col(Chat.updated_at) == updated_at, col(Chat.id) > chat_id))]


def _cursor(updated_at: datetime, chat_id: str) -> str:
    raw = json.dumps([updated_at.isoformat(), chat_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        updated_at, chat_id = json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)))
        return datetime.fromisoformat(updated_at), str(chat_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidInputError('error.chat_search.bad_cursor',
                                'This page link is no longer valid. Start the search again.') from error


async def _hits(session: Any, chat_ids: list[str], in_message: Any,
                query: str) -> tuple[dict[str, list[MessageHit]], dict[str, int]]:
    """The newest few matching messages of each chat, and how many messages of each chat match."""
    if not chat_ids:
        return {}, {}
    ranked = select(col(Message.id), col(Message.chat_id), col(Message.seq), col(Message.role), col(Message.name),
                    col(Message.content), col(Message.created_at),
                    func.row_number().over(partition_by=col(Message.chat_id),
                                           order_by=col(Message.seq).desc()).label('rank'),
                    func.count().over(partition_by=col(Message.chat_id)).label('total')) \
        .where(col(Message.chat_id).in_(chat_ids), in_message).subquery()
    rows = (await session.exec(select(*ranked.c).where(ranked.c.rank <= HITS_PER_CHAT)
                               .order_by(ranked.c.chat_id, ranked.c.seq.desc()))).all()
    hits: dict[str, list[MessageHit]] = {}
    counts: dict[str, int] = {}
    needle = query.strip()
    for message_id, chat_id, seq, role, name, content, created_at, _, total in rows:
        counts[chat_id] = total
        hits.setdefault(chat_id, []).append(MessageHit(message_id=message_id, seq=seq, role=role, name=name,
                                                       created_at=created_at, snippet=make_snippet(content, needle)))
    return hits, counts


def _one_line(text: str) -> str:
    return WHITESPACE.sub(' ', text)
