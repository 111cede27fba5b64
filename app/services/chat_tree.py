"""Chat families and the marks inside a chat: the tree of branches, bookmarks and SillyTavern checkpoints.

A branch records its parent in `chat.meta['branch_of']` ({chat_id, seq}); chats imported from SillyTavern only
name their parent by title in `chat_metadata.main_chat`, which is resolved among the same character's chats when
exactly one has that title. A family is the root found by walking up from a chat, plus all its descendants; a
parent that was deleted leaves its children as roots of their own families.

A checkpoint is SillyTavern's named branch: a branch titled by the user, and, on the message it was made at, the
link `extra.bookmark_link` = that title (kept in the message's SillyTavern fields, so JSONL export carries it).
Links in imported chats are resolved by title the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import Chat, Message, User
from ..errors import ConflictError, InvalidInputError, NotFoundError
from .chat_files.st_message import COLUMN_FIELDS, ST_KEY, to_st
from .chats import BOOKMARK_KEY, BRANCH_OF_KEY, CHAT_METADATA_KEY, copy_up_to
from .ownership import load_owned

BOOKMARK_LINK = 'bookmark_link'
MAX_CHECKPOINT_NAME = 200
EXCERPT_LENGTH = 120


class ChatTreeNode(BaseModel):
    """A chat in a family tree; `branch_seq` is the parent's message it was branched at (None for the root)."""

    id: str
    title: str
    message_count: int
    updated_at: datetime
    branch_seq: int | None
    children: list[ChatTreeNode]


class ChatMark(BaseModel):
    """A bookmarked message or a checkpoint link on a message; `checkpoint_id` is the linked chat, when found."""

    kind: Literal['bookmark', 'checkpoint']
    message_id: int
    seq: int
    label: str
    excerpt: str
    checkpoint_id: str | None = None


class _Row(BaseModel):
    id: str
    title: str
    message_count: int
    created_at: datetime
    updated_at: datetime
    parent_id: str | None
    branch_seq: int | None
    main_chat: str | None


class ChatTreeService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def tree(self, owner: User, chat_id: str) -> ChatTreeNode:
        """The family of `chat_id`: its root chat with every descendant, children in the order they were made."""
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            rows = await _family_rows(session, owner, chat.character_id)
        parents = _parents(rows)
        children: dict[str, list[_Row]] = {}
        for row in sorted(rows.values(), key=lambda row: (row.created_at, row.id)):
            if parents.get(row.id):
                children.setdefault(parents[row.id], []).append(row)  # type: ignore[index]
        return _node(rows[_root(chat.id, parents)], children, parents, set())

    async def marks(self, owner: User, chat_id: str) -> list[ChatMark]:
        """The chat's bookmarks and checkpoint links, in message order (a message can carry both)."""
        label = col(Message.meta)[(BOOKMARK_KEY, 'label')].as_string()
        bookmarked = col(Message.meta)[(BOOKMARK_KEY,)].as_string()
        link = col(Message.meta)[(ST_KEY, 'extra', BOOKMARK_LINK)].as_string()
        statement = select(col(Message.id), col(Message.seq), col(Message.content), bookmarked, label, link) \
            .where(col(Message.chat_id) == chat_id, or_(bookmarked.is_not(None), link.is_not(None))) \
            .order_by(col(Message.seq))
        async with self.db.session() as session:
            chat = await _load_chat(session, owner, chat_id)
            rows = (await session.exec(statement)).all()
            links = {value for *_, value in rows if value}
            targets = await _resolve_titles(session, owner, chat, links)
        marks: list[ChatMark] = []
        for message_id, seq, content, bookmark, bookmark_label, link_title in rows:
            excerpt = _excerpt(content)
            if bookmark is not None:
                marks.append(ChatMark(kind='bookmark', message_id=message_id, seq=seq, label=bookmark_label or '',
                                      excerpt=excerpt))
            if link_title:
                marks.append(ChatMark(kind='checkpoint', message_id=message_id, seq=seq, label=link_title,
                                      excerpt=excerpt, checkpoint_id=targets.get(link_title)))
        return marks

    async def create_checkpoint(self, owner: User, chat_id: str, seq: int, name: str) -> Chat:
        """Branch the chat at message `seq` into a chat titled `name`, and link that message to it by title."""
        title = ' '.join(name.split())[:MAX_CHECKPOINT_NAME]
        if not title:
            raise InvalidInputError('error.checkpoint.name_empty', 'Give the checkpoint a name.')
        async with self.db.session() as session:
            source = await _load_chat(session, owner, chat_id)
            message = (await session.exec(select(Message).where(col(Message.chat_id) == source.id,
                                                                col(Message.seq) == seq))).first()
            if message is None:
                raise NotFoundError('error.message.not_found', 'No such message.')
            taken = await session.exec(select(col(Chat.id)).where(col(Chat.owner_id) == owner.id,
                                                                  col(Chat.character_id) == source.character_id,
                                                                  col(Chat.title) == title))
            if taken.first() is not None:
                raise ConflictError('error.checkpoint.name_taken',
                                    f'This character already has a chat named "{title}". Choose another name.',
                                    name=title)
            checkpoint = await copy_up_to(session, source, seq, title)
            message.meta = with_bookmark_link(message, title)
            session.add(message)
            await session.commit()
            return checkpoint


def with_bookmark_link(message: Message, title: str) -> dict[str, Any]:
    """The message's meta with SillyTavern's `extra.bookmark_link` set to `title`.

    A message written here has no SillyTavern fields yet; they are filled in as export would write them, so the
    message exports exactly as before apart from the link.
    """
    kept = (message.meta or {}).get(ST_KEY)
    if not isinstance(kept, dict):
        kept = {key: value for key, value in to_st(message, '').items() if key not in COLUMN_FIELDS}
    extra = kept.get('extra') if isinstance(kept.get('extra'), dict) else {}
    return {**(message.meta or {}), ST_KEY: {**kept, 'extra': {**extra, BOOKMARK_LINK: title}}}


async def _load_chat(session: AsyncSession, owner: User, chat_id: str) -> Chat:
    return await load_owned(session, Chat, chat_id, owner, code='error.chat.not_found', message='No such chat.')


async def _family_rows(session: AsyncSession, owner: User, character_id: str) -> dict[str, _Row]:
    """The owner's chats with this character, with only the lineage fields of their metadata."""
    meta = col(Chat.meta)
    statement = select(col(Chat.id), col(Chat.title), col(Chat.message_count), col(Chat.created_at),
                       col(Chat.updated_at), meta[(BRANCH_OF_KEY, 'chat_id')].as_string(),
                       meta[(BRANCH_OF_KEY, 'seq')].as_integer(),
                       meta[(CHAT_METADATA_KEY, 'main_chat')].as_string()) \
        .where(col(Chat.owner_id) == owner.id, col(Chat.character_id) == character_id)
    rows = (await session.exec(statement)).all()
    fields = ('id', 'title', 'message_count', 'created_at', 'updated_at', 'parent_id', 'branch_seq', 'main_chat')
    return {row[0]: _Row(**dict(zip(fields, row, strict=True))) for row in rows}


def _parents(rows: dict[str, _Row]) -> dict[str, str | None]:
    """Each chat's parent among `rows`: the recorded branch parent, else the one chat titled like `main_chat`."""
    by_title: dict[str, list[str]] = {}
    for row in rows.values():
        by_title.setdefault(row.title, []).append(row.id)
    parents: dict[str, str | None] = {}
    for row in rows.values():
        if row.parent_id:
            parents[row.id] = row.parent_id if row.parent_id in rows else None
            continue
        named = [chat_id for chat_id in by_title.get(row.main_chat or '', []) if chat_id != row.id]
        parents[row.id] = named[0] if len(named) == 1 else None
    return parents


def _root(chat_id: str, parents: dict[str, str | None]) -> str:
    """Walk up the parents; a loop (possible only with hand-edited titles) stops where it closes."""
    seen = {chat_id}
    while (parent := parents.get(chat_id)) and parent not in seen:
        seen.add(parent)
        chat_id = parent
    return chat_id


def _node(row: _Row, children: dict[str, list[_Row]], parents: dict[str, str | None], seen: set[str]) -> ChatTreeNode:
    seen.add(row.id)
    kids = [_node(child, children, parents, seen) for child in children.get(row.id, []) if child.id not in seen]
    branch_seq = row.branch_seq if parents.get(row.id) else None
    return ChatTreeNode(id=row.id, title=row.title, message_count=row.message_count, updated_at=row.updated_at,
                        branch_seq=branch_seq, children=kids)


async def _resolve_titles(session: AsyncSession, owner: User, chat: Chat, titles: set[str]) -> dict[str, str]:
    """Chat ids for checkpoint titles: a branch of this chat with that title first, else the newest such chat."""
    if not titles:
        return {}
    statement = select(col(Chat.id), col(Chat.title), col(Chat.meta)[(BRANCH_OF_KEY, 'chat_id')].as_string()) \
        .where(col(Chat.owner_id) == owner.id, col(Chat.character_id) == chat.character_id,
               col(Chat.title).in_(titles), col(Chat.id) != chat.id) \
        .order_by(col(Chat.updated_at).desc(), col(Chat.id))
    newest: dict[str, str] = {}
    branches: dict[str, str] = {}
    for chat_id, title, parent_id in (await session.exec(statement)).all():
        newest.setdefault(title, chat_id)
        if parent_id == chat.id:
            branches.setdefault(title, chat_id)
    return {**newest, **branches}


def _excerpt(content: str) -> str:
    text = ' '.join(content.split())
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH - 1] + '…'
