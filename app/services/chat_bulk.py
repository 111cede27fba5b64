"""Acting on many chats at once: export them as one zip of SillyTavern JSONL files, or delete them.

Both check every id first: if any chat is missing or someone else's, nothing is exported or deleted (a bulk action
that did half of its work would leave the user guessing which half). Deleting is one statement in one transaction.
"""

from __future__ import annotations

import asyncio
import io
import zipfile

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import Chat, User
from ..db.types import utcnow
from ..errors import InvalidInputError, NotFoundError
from .chat_files import ChatExportService
from .downloads import Download

MAX_CHATS = 500


class ChatBulkService:
    def __init__(self, db: Database, exporter: ChatExportService) -> None:
        self.db = db
        self.exporter = exporter

    async def export_zip(self, owner: User, chat_ids: list[str]) -> Download:
        """One zip holding each chat as a SillyTavern `.jsonl` file (names made unique within the zip)."""
        ids = _checked(chat_ids)
        async with self.db.session() as session:
            await _require_owned(session, owner, ids)
        files = [await self.exporter.export(owner, chat_id, 'jsonl') for chat_id in ids]
        content = await asyncio.to_thread(_zip, files)
        return Download(f'chats-{utcnow():%Y-%m-%d-%H%M}.zip', 'application/zip', content)

    async def delete(self, owner: User, chat_ids: list[str]) -> int:
        """Delete the chats (their messages go with them); returns how many were deleted."""
        ids = _checked(chat_ids)
        async with self.db.session() as session:
            await _require_owned(session, owner, ids)
            await session.exec(delete(Chat).where(col(Chat.id).in_(ids), col(Chat.owner_id) == owner.id))
            await session.commit()
        return len(ids)


def _checked(chat_ids: list[str]) -> list[str]:
    """The ids without repeats, in the order given; refuses none and too many."""
    ids = list(dict.fromkeys(chat_ids))
    if not ids:
        raise InvalidInputError('error.chat_bulk.none', 'Select at least one chat.')
    if len(ids) > MAX_CHATS:
        raise InvalidInputError('error.chat_bulk.too_many', f'Select at most {MAX_CHATS} chats at once.',
                                limit=MAX_CHATS)
    return ids


async def _require_owned(session: AsyncSession, owner: User, ids: list[str]) -> None:
    found = (await session.exec(select(col(Chat.id)).where(col(Chat.id).in_(ids),
                                                           col(Chat.owner_id) == owner.id))).all()
    if len(found) != len(ids):
        raise NotFoundError('error.chat.not_found', 'No such chat.')


def _zip(files: list[Download]) -> bytes:
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(_unique_name(file.filename, used), file.content)
    return buffer.getvalue()


def _unique_name(filename: str, used: set[str]) -> str:
    """`filename`, or `stem (2).jsonl`, `stem (3).jsonl`, … when chats share a title."""
    stem, dot, suffix = filename.rpartition('.')
    name, number = filename, 1
    while name.casefold() in used:
        number += 1
        name = f'{stem} ({number}){dot}{suffix}'
    used.add(name.casefold())
    return name
