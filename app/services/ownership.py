"""Loading a row that must belong to the caller: someone else's row reads exactly like a missing one."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.models import User
from ..errors import NotFoundError


class Owned(Protocol):
    owner_id: str


class OwnedDefault(Owned, Protocol):
    is_default: bool


T = TypeVar('T', bound=Owned)
D = TypeVar('D', bound=OwnedDefault)


async def load_owned(session: AsyncSession, model: type[T], row_id: object, owner: User, *, code: str,
                     message: str) -> T:
    """The row with `row_id` if `owner` owns it; otherwise `NotFoundError(code, message)`."""
    row = await session.get(model, row_id)
    if row is None or row.owner_id != owner.id:
        raise NotFoundError(code, message)
    return row


async def clear_default(session: AsyncSession, model: type[D], owner: User) -> None:
    """Unmark the owner's default row of `model`, before another one becomes the default."""
    rows = await session.exec(select(model).where(col(model.owner_id) == owner.id, col(model.is_default).is_(True)))
    for row in rows.all():
        row.is_default = False
        session.add(row)
