"""Lorebooks and their entries: create, list with entry counts, rename, delete; search, add, edit, duplicate and
delete entries, and bulk edits. Every call checks that the book belongs to the caller (someone else's book reads as
missing), and every entry edit goes through `WorldEntry`, so stored entries are always valid SillyTavern objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import Lorebook, LorebookBinding, LorebookEntry, User
from ...db.types import utcnow
from ...errors import ConflictError, NotFoundError
from ..ownership import load_owned
from ..world_info.entry import WorldEntry
from .entry_rows import apply_changes, entry_of, new_row, store
from .schemas import BulkEdit, LorebookFields, LorebookRead, LorebookUpdate

NAME_LENGTH = 200


class LorebookBooks:
    db: Database

    async def create(self, owner: User, fields: LorebookFields) -> Lorebook:
        """A new empty book; a name the owner already uses is refused."""
        book = Lorebook(owner_id=owner.id, name=fields.name, description=fields.description)
        async with self.db.session() as session:
            await _refuse_taken_name(session, owner, fields.name)
            session.add(book)
            await session.commit()
            return book

    async def list(self, owner: User) -> list[LorebookRead]:
        """The owner's books by name, each with its number of entries and whether it is globally active."""
        return await self._summaries(owner)

    async def get(self, owner: User, book_id: str) -> Lorebook:
        async with self.db.session() as session:
            return await load_book(session, owner, book_id)

    async def read(self, owner: User, book_id: str) -> LorebookRead:
        """One book as the list shows it."""
        found = await self._summaries(owner, col(Lorebook.id) == book_id)
        if not found:
            raise book_not_found()
        return found[0]

    async def _summaries(self, owner: User, *conditions: Any) -> list[LorebookRead]:
        counts = (select(col(LorebookEntry.lorebook_id), func.count().label('entries'))
                  .group_by(col(LorebookEntry.lorebook_id)).subquery())
        globals_ = (select(col(LorebookBinding.lorebook_id)).where(col(LorebookBinding.owner_id) == owner.id,
                                                                  col(LorebookBinding.scope) == 'global').subquery())
        statement = (select(Lorebook, func.coalesce(counts.c.entries, 0), globals_.c.lorebook_id)
                     .outerjoin(counts, counts.c.lorebook_id == col(Lorebook.id))
                     .outerjoin(globals_, globals_.c.lorebook_id == col(Lorebook.id))
                     .where(col(Lorebook.owner_id) == owner.id, *conditions)
                     .order_by(func.lower(col(Lorebook.name)), col(Lorebook.id)))
        async with self.db.session() as session:
            rows = (await session.exec(statement)).all()
        return [LorebookRead.of(book, count, active is not None) for book, count, active in rows]

    async def update(self, owner: User, book_id: str, update: LorebookUpdate) -> Lorebook:
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            if update.name is not None and update.name != book.name:
                await _refuse_taken_name(session, owner, update.name)
                book.name = update.name
            if update.description is not None:
                book.description = update.description
            book.updated_at = utcnow()
            session.add(book)
            await session.commit()
            return book

    async def delete(self, owner: User, book_id: str) -> None:
        """Delete the book; its entries and bindings go with it (ON DELETE CASCADE)."""
        async with self.db.session() as session:
            await session.delete(await load_book(session, owner, book_id))
            await session.commit()

    async def entries(self, owner: User, book_id: str, query: str = '') -> list[WorldEntry]:
        """The book's entries in display order; `query` keeps those whose keys, title or content contain it
        (ignoring case)."""
        async with self.db.session() as session:
            await load_book(session, owner, book_id)
            statement = select(LorebookEntry).where(col(LorebookEntry.lorebook_id) == book_id, *_matching(query)) \
                .order_by(col(LorebookEntry.display_index), col(LorebookEntry.uid))
            rows = (await session.exec(statement)).all()
        return [entry_of(row) for row in rows]

    async def entry(self, owner: User, book_id: str, uid: int) -> WorldEntry:
        async with self.db.session() as session:
            await load_book(session, owner, book_id)
            return entry_of(await _load_entry(session, book_id, uid))

    async def create_entry(self, owner: User, book_id: str, changes: dict[str, Any] | None = None) -> WorldEntry:
        """A new entry with SillyTavern's defaults and the given fields; its uid is one above the highest."""
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            uid, display_index = await _next_numbers(session, book_id)
            entry = WorldEntry(uid=uid, display_index=display_index)
            apply_changes(entry, changes or {})
            session.add(new_row(book_id, entry, display_index))
            await _touch(session, book)
            return entry

    async def update_entry(self, owner: User, book_id: str, uid: int, changes: dict[str, Any]) -> WorldEntry:
        """Change the given fields (SillyTavern's spelling) of one entry; the others stay exactly as they were."""
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            row = await _load_entry(session, book_id, uid)
            entry = entry_of(row)
            apply_changes(entry, changes)
            store(row, entry)
            session.add(row)
            await _touch(session, book)
            return entry

    async def save_entry(self, owner: User, book_id: str, entry: WorldEntry) -> WorldEntry:
        """Store an entry edited as a whole (the editor's way); unchanged fields keep their original spelling."""
        return await self.update_entry(owner, book_id, entry.uid, entry.to_st())

    async def duplicate_entry(self, owner: User, book_id: str, uid: int) -> WorldEntry:
        """A copy of the entry under a new uid, at the end of the book."""
        fields = (await self.entry(owner, book_id, uid)).to_st()
        fields.pop('uid', None)
        fields.pop('displayIndex', None)
        return await self.create_entry(owner, book_id, fields)

    async def delete_entry(self, owner: User, book_id: str, uid: int) -> None:
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            await session.delete(await _load_entry(session, book_id, uid))
            await _touch(session, book)

    async def bulk_edit(self, owner: User, book_id: str, edit: BulkEdit) -> int:
        """Apply one change to the selected entries (uids that do not exist are ignored); the number changed."""
        async with self.db.session() as session:
            book = await load_book(session, owner, book_id)
            rows = await _entries_with_uids(session, book_id, edit.uids)
            if edit.action == 'delete':
                await session.exec(delete(LorebookEntry).where(col(LorebookEntry.id).in_([row.id for row in rows])))
            else:
                for row in rows:
                    entry = entry_of(row)
                    apply_changes(entry, edit.changes())
                    store(row, entry)
                    session.add(row)
            await _touch(session, book)
            return len(rows)


async def load_book(session: AsyncSession, owner: User, book_id: str) -> Lorebook:
    return await load_owned(session, Lorebook, book_id, owner, code='error.lorebook.not_found',
                            message='No such lorebook.')


def book_not_found() -> NotFoundError:
    return NotFoundError('error.lorebook.not_found', 'No such lorebook.')


async def free_name(session: AsyncSession, owner: User, wanted: str) -> str:
    """`wanted`, or "wanted (2)", "wanted (3)", ... whichever the owner does not use yet."""
    wanted = ' '.join(wanted.split())[:NAME_LENGTH - 8].strip() or 'Lorebook'
    statement = select(Lorebook.name).where(col(Lorebook.owner_id) == owner.id,
                                            or_(col(Lorebook.name) == wanted,
                                                col(Lorebook.name).startswith(f'{wanted} (', autoescape=True)))
    taken = set((await session.exec(statement)).all())
    name, number = wanted, 1
    while name in taken:
        number += 1
        name = f'{wanted} ({number})'
    return name


async def _refuse_taken_name(session: AsyncSession, owner: User, name: str) -> None:
    statement = select(Lorebook.id).where(col(Lorebook.owner_id) == owner.id, col(Lorebook.name) == name)
    if (await session.exec(statement)).first() is not None:
        raise ConflictError('error.lorebook.name_taken', f'You already have a lorebook called "{name}".', name=name)


async def _load_entry(session: AsyncSession, book_id: str, uid: int) -> LorebookEntry:
    statement = select(LorebookEntry).where(col(LorebookEntry.lorebook_id) == book_id, col(LorebookEntry.uid) == uid)
    row = (await session.exec(statement)).first()
    if row is None:
        raise NotFoundError('error.lorebook.entry_not_found', 'No such lorebook entry.')
    return row


async def _entries_with_uids(session: AsyncSession, book_id: str, uids: Sequence[int]) -> list[LorebookEntry]:
    statement = select(LorebookEntry).where(col(LorebookEntry.lorebook_id) == book_id,
                                            col(LorebookEntry.uid).in_(set(uids)))
    return list((await session.exec(statement)).all())


async def _next_numbers(session: AsyncSession, book_id: str) -> tuple[int, int]:
    """The uid and display index for a new entry: one above the highest of each."""
    statement = select(func.max(LorebookEntry.uid), func.max(LorebookEntry.display_index)) \
        .where(col(LorebookEntry.lorebook_id) == book_id)
    highest_uid, highest_index = (await session.exec(statement)).one()
    return (-1 if highest_uid is None else highest_uid) + 1, (-1 if highest_index is None else highest_index) + 1


async def _touch(session: AsyncSession, book: Lorebook) -> None:
    """Mark the book as changed and commit."""
    book.updated_at = utcnow()
    session.add(book)
    await session.commit()


def _matching(query: str) -> list[Any]:
    text = query.strip()
    if not text:
        return []
    return [or_(col(LorebookEntry.keys_text).icontains(text, autoescape=True),
                col(LorebookEntry.comment).icontains(text, autoescape=True),
                col(LorebookEntry.data)['content'].as_string().icontains(text, autoescape=True))]
