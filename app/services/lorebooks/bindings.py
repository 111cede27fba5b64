"""Which lorebooks apply where: globally, to a character (its primary book first, then extra books), to a chat and to
a persona, and the books a chat's reply scans, in SillyTavern's order.

Each binding row names its target through a foreign key of its own kind, so deleting a character, chat or persona
deletes its bindings in the database (ON DELETE CASCADE); nothing has to remember to clean up.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from ...db.database import Database
from ...db.models import Character, Chat, Lorebook, LorebookBinding, LorebookEntry, Persona, User
from ..ownership import load_owned
from ..world_info.activation import BookSource
from .books import book_not_found, load_book
from .entry_rows import entry_of
from .schemas import BindingScope, BindingsRead

SOURCE_ORDER: dict[str, int] = {'chat': 0, 'persona': 1, 'character': 2, 'global': 3}
TARGET_COLUMNS: dict[str, str] = {'character': 'character_id', 'chat': 'chat_id', 'persona': 'persona_id'}


class LorebookBindings:
    db: Database

    async def bindings(self, owner: User) -> BindingsRead:
        """Every binding of the owner's books, by scope."""
        statement = select(LorebookBinding).where(col(LorebookBinding.owner_id) == owner.id) \
            .order_by(col(LorebookBinding.position), col(LorebookBinding.created_at))
        async with self.db.session() as session:
            rows = (await session.exec(statement)).all()
        result = BindingsRead(global_ids=[], characters={}, chats={}, personas={})
        for row in rows:
            if row.scope == 'global':
                result.global_ids.append(row.lorebook_id)
            elif row.character_id:
                result.characters.setdefault(row.character_id, []).append(row.lorebook_id)
            elif row.chat_id:
                result.chats[row.chat_id] = row.lorebook_id
            elif row.persona_id:
                result.personas[row.persona_id] = row.lorebook_id
        return result

    async def global_book_ids(self, owner: User) -> list[str]:
        return (await self.bindings(owner)).global_ids

    async def set_global_books(self, owner: User, book_ids: Sequence[str]) -> None:
        """Make exactly these books globally active."""
        async with self.db.session() as session:
            await _replace(session, owner, 'global', None, book_ids)

    async def set_global(self, owner: User, book_id: str, active: bool) -> None:
        """Turn one book's global activation on or off."""
        async with self.db.session() as session:
            await load_book(session, owner, book_id)
            await session.exec(delete(LorebookBinding).where(col(LorebookBinding.lorebook_id) == book_id,
                                                             col(LorebookBinding.scope) == 'global'))
            if active:
                session.add(LorebookBinding(owner_id=owner.id, lorebook_id=book_id, scope='global'))
            await session.commit()

    async def character_book_ids(self, owner: User, character_id: str) -> list[str]:
        """The character's books, its primary book first."""
        return (await self.bindings(owner)).characters.get(character_id, [])

    async def set_character_books(self, owner: User, character_id: str, book_ids: Sequence[str]) -> None:
        """The character's books: the first is its primary book (the one its card exports), the rest extra books."""
        async with self.db.session() as session:
            await load_owned(session, Character, character_id, owner, code='error.character.not_found',
                             message='No such character.')
            await _replace(session, owner, 'character', character_id, book_ids)

    async def chat_book_id(self, owner: User, chat_id: str) -> str | None:
        return (await self.bindings(owner)).chats.get(chat_id)

    async def set_chat_book(self, owner: User, chat_id: str, book_id: str | None) -> None:
        """The chat's own book, or none."""
        async with self.db.session() as session:
            await load_owned(session, Chat, chat_id, owner, code='error.chat.not_found', message='No such chat.')
            await _replace(session, owner, 'chat', chat_id, [book_id] if book_id else [])

    async def persona_book_id(self, owner: User, persona_id: str) -> str | None:
        return (await self.bindings(owner)).personas.get(persona_id)

    async def set_persona_book(self, owner: User, persona_id: str, book_id: str | None) -> None:
        """The persona's book (used in every chat played as that persona), or none."""
        async with self.db.session() as session:
            await load_owned(session, Persona, persona_id, owner, code='error.persona.not_found',
                             message='No such persona.')
            await _replace(session, owner, 'persona', persona_id, [book_id] if book_id else [])

    async def books_for_chat(self, owner: User, chat: Chat) -> list[BookSource]:
        """The books a reply in `chat` scans, each once, in SillyTavern's order: the chat's book, the persona's
        (the chat's persona, else the default one), the character's (primary first), then the global ones.
        Disabled entries are left out. Two queries, however many books and entries there are."""
        async with self.db.session() as session:
            bound = (await session.exec(_bindings_for_chat(owner, chat))).all()
            ordered = _source_order(bound)
            statement = select(LorebookEntry).where(col(LorebookEntry.lorebook_id).in_(list(ordered)),
                                                    col(LorebookEntry.disabled).is_(False)) \
                .order_by(col(LorebookEntry.display_index), col(LorebookEntry.uid))
            rows = (await session.exec(statement)).all() if ordered else []
        sources = {book.id: BookSource(book_id=book.id, name=book.name, scope=scope, entries=[])
                   for book, scope in ordered.values()}
        for row in rows:
            sources[row.lorebook_id].entries.append(entry_of(row))
        return list(sources.values())


def _bindings_for_chat(owner: User, chat: Chat) -> Select[tuple[LorebookBinding, Lorebook]]:
    persona_id = chat.persona_id or select(Persona.id).where(
        col(Persona.owner_id) == owner.id, col(Persona.is_default).is_(True)).limit(1).scalar_subquery()
    return select(LorebookBinding, Lorebook).join(Lorebook, col(Lorebook.id) == col(LorebookBinding.lorebook_id)) \
        .where(col(LorebookBinding.owner_id) == owner.id,
               or_(col(LorebookBinding.chat_id) == chat.id, col(LorebookBinding.persona_id) == persona_id,
                   col(LorebookBinding.character_id) == chat.character_id, col(LorebookBinding.scope) == 'global'))


def _source_order(bound: Sequence[tuple[LorebookBinding, Lorebook]]) -> dict[str, tuple[Lorebook, str]]:
    """Book id → (book, scope) in source order, each book only at its first (most specific) binding."""
    ranked = sorted(bound, key=lambda pair: (SOURCE_ORDER[pair[0].scope], pair[0].position, pair[1].name.lower()))
    ordered: dict[str, tuple[Lorebook, str]] = {}
    for binding, book in ranked:
        ordered.setdefault(book.id, (book, binding.scope))
    return ordered


async def _replace(session: AsyncSession, owner: User, scope: BindingScope, target_id: str | None,
                   book_ids: Sequence[str]) -> None:
    """Replace the bindings of one scope and target with `book_ids`, in that order (duplicates dropped)."""
    wanted = list(dict.fromkeys(book_ids))
    owned = set((await session.exec(select(Lorebook.id).where(col(Lorebook.owner_id) == owner.id,
                                                             col(Lorebook.id).in_(wanted)))).all())
    if len(owned) != len(wanted):
        raise book_not_found()
    target = TARGET_COLUMNS.get(scope)
    condition = col(getattr(LorebookBinding, target)) == target_id if target else \
        col(LorebookBinding.owner_id) == owner.id
    await session.exec(delete(LorebookBinding).where(col(LorebookBinding.scope) == scope, condition))
    session.add_all(LorebookBinding(owner_id=owner.id, lorebook_id=book_id, scope=scope, position=position,
                                    **({target: target_id} if target else {}))
                    for position, book_id in enumerate(wanted))
    await session.commit()
