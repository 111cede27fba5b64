"""Import a SillyTavern chat file as a new chat of one of the user's characters, in one transaction.

The whole file is parsed and checked before anything is written, and the chat with all its messages is stored in a
single commit, so a refused or failing import leaves nothing behind. Without an explicit character the header's
`character_name` picks the user's character of that name (ignoring case); headerless files (old group chats) need
the character chosen. Group speakers keep their own names on their messages.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import PureWindowsPath
from typing import Any

from sqlmodel import col, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import Character, Chat, Message, User
from ...db.types import utcnow
from ...errors import InvalidInputError
from ..ownership import load_owned
from .jsonl_reader import StChatFile, read_jsonl
from .limits import ChatFileLimits
from .st_header import chat_meta, created_at
from .st_message import ImportedMessage, from_st

INSERT_BATCH = 1000
MAX_TITLE = 200


class ChatImportService:
    def __init__(self, db: Database, limits: ChatFileLimits | None = None) -> None:
        self.db = db
        self.limits = limits or ChatFileLimits()

    async def import_jsonl(self, owner: User, data: bytes, filename: str, character_id: str | None = None) -> Chat:
        """Store the chat in `data` (a SillyTavern .jsonl) for `character_id`, or the character its header names."""
        parsed, messages = await asyncio.to_thread(_read, data, self.limits)
        async with self.db.session() as session:
            character = await _pick_character(session, owner, parsed.header, character_id)
            chat = _new_chat(owner, character, parsed, messages, PureWindowsPath(filename or '').name)
            session.add(chat)
            await session.flush()
            await _insert_messages(session, chat, messages)
            await session.commit()
            return chat


def _read(data: bytes, limits: ChatFileLimits) -> tuple[StChatFile, list[ImportedMessage]]:
    """Parse and map the whole file (in a worker thread: a big file would stall every page for a moment)."""
    parsed = read_jsonl(data, limits)
    return parsed, [from_st(item, line) for line, item in parsed.messages]


async def _pick_character(session: AsyncSession, owner: User, header: dict[str, Any] | None,
                          character_id: str | None) -> Character:
    """The chosen character, else the owner's only character named like the header's `character_name`."""
    if character_id:
        return await load_owned(session, Character, character_id, owner, code='error.character.not_found',
                                message='No such character.')
    if header is None:
        raise InvalidInputError('error.chat_file.choose_character',
                                'This chat file does not name its character (SillyTavern group chats do not). '
                                'Choose the character to import it into.')
    name = str(header.get('character_name') or '').strip()
    rows = (await session.exec(select(col(Character.id), col(Character.name))
                               .where(col(Character.owner_id) == owner.id))).all()
    matches = [row_id for row_id, row_name in rows if name and row_name.casefold() == name.casefold()]
    if len(matches) == 1:
        return await load_owned(session, Character, matches[0], owner, code='error.character.not_found',
                                message='No such character.')
    if matches:
        raise InvalidInputError('error.chat_file.character_ambiguous',
                                f'Several of your characters are named "{name}". Choose the character to import '
                                'the chat into.', name=name)
    raise InvalidInputError('error.chat_file.character_not_found',
                            f'None of your characters is named "{name}". Import that character first, or choose '
                            'the character to import the chat into.', name=name)


def _new_chat(owner: User, character: Character, parsed: StChatFile, messages: list[ImportedMessage],
              filename: str) -> Chat:
    started = created_at(parsed.header) or _first_date(messages) or utcnow()
    title = _title(filename) or f'{character.name} – {started:%Y-%m-%d}'[:MAX_TITLE]
    return Chat(owner_id=owner.id, character_id=character.id, title=title,
                meta=chat_meta(parsed.header, filename=filename, group=_is_group(parsed, messages)),
                message_count=len(messages), created_at=started, updated_at=utcnow())


async def _insert_messages(session: AsyncSession, chat: Chat, messages: list[ImportedMessage]) -> None:
    """Insert the rows in batches; a message without a readable date takes the one before it."""
    moment = chat.created_at
    rows: list[dict[str, Any]] = []
    for seq, message in enumerate(messages):
        moment = message.sent_at or moment
        rows.append({'chat_id': chat.id, 'seq': seq, 'role': message.role, 'name': message.name,
                     'content': message.content, 'swipes': message.swipes, 'swipe_index': message.swipe_index,
                     'status': 'complete', 'error': None, 'meta': message.meta, 'created_at': moment})
    for start in range(0, len(rows), INSERT_BATCH):
        await session.exec(insert(Message), params=rows[start:start + INSERT_BATCH])


def _is_group(parsed: StChatFile, messages: list[ImportedMessage]) -> bool:
    speakers = {message.name for message in messages if message.role == 'assistant'}
    return parsed.header is None or len(speakers) > 1 or any(item.get('is_group') for _, item in parsed.messages)


def _first_date(messages: list[ImportedMessage]) -> datetime | None:
    return next((message.sent_at for message in messages if message.sent_at), None)


def _title(filename: str) -> str:
    """The file name without `.jsonl`, as a one-line chat title."""
    stem = filename[:-len('.jsonl')] if filename.lower().endswith('.jsonl') else filename
    return ' '.join(stem.split())[:MAX_TITLE]
