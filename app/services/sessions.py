"""Browser sessions, one-time login tickets and personal API tokens, and resolving a token to its user."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import ApiToken, User, UserSession
from ..db.types import utcnow
from ..errors import AuthError, NotFoundError
from ..infra.key_value import KeyValueStore
from ..security.tokens import API_TOKEN_PREFIX, hash_token, new_token

TICKET_SECONDS = 60
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class SessionService:
    def __init__(self, db: Database, kv: KeyValueStore, session_days: int) -> None:
        self.db = db
        self.kv = kv
        self.lifetime = timedelta(days=session_days)

    async def create_session(self, user: User, *, user_agent: str = '', address: str = '') -> str:
        """Start a session and return its token (the only time the plain token exists)."""
        token = new_token()
        async with self.db.session() as session:
            session.add(UserSession(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + self.lifetime,
                                    user_agent=user_agent[:255], address=address[:64]))
            await session.commit()
        return token

    async def end_session(self, token: str) -> None:
        async with self.db.session() as session:
            row = await session.get(UserSession, hash_token(token))
            if row:
                await session.delete(row)
                await session.commit()

    async def issue_ticket(self, session_token: str) -> str:
        """A short-lived, single-use ticket a page hands to the browser so an HTTP route can set the cookie."""
        ticket = new_token()
        await self.kv.set(f'login-ticket:{hash_token(ticket)}', session_token, TICKET_SECONDS)
        return ticket

    async def redeem_ticket(self, ticket: str) -> str | None:
        return await self.kv.pop(f'login-ticket:{hash_token(ticket)}')

    async def user_for_token(self, token: str) -> User | None:
        """The active user behind a session token or API token, or None if it is unknown, expired or disabled."""
        if not token:
            return None
        token_hash = hash_token(token)
        now = utcnow()
        async with self.db.session() as session:
            if token.startswith(API_TOKEN_PREFIX):
                api_token = (await session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash))).first()
                if api_token is None or (api_token.expires_at and api_token.expires_at <= now):
                    return None
                user_id, record = api_token.user_id, api_token
            else:
                row = await session.get(UserSession, token_hash)
                if row is None or row.expires_at <= now:
                    return None
                user_id, record = row.user_id, row
            user = await session.get(User, user_id)
            if user is None or user.disabled:
                return None
            await self._touch(session, record, now)
            return user

    async def create_api_token(self, user: User, name: str) -> tuple[ApiToken, str]:
        token = new_token(API_TOKEN_PREFIX)
        record = ApiToken(user_id=user.id, name=name.strip()[:64] or 'token', token_hash=hash_token(token),
                          prefix=token[:10])
        async with self.db.session() as session:
            session.add(record)
            await session.commit()
        return record, token

    async def list_api_tokens(self, user: User) -> list[ApiToken]:
        async with self.db.session() as session:
            statement = select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.created_at))
            return list((await session.exec(statement)).all())

    async def revoke_api_token(self, user: User, token_id: str) -> None:
        async with self.db.session() as session:
            record = await session.get(ApiToken, token_id)
            if record is None or record.user_id != user.id:
                raise NotFoundError('error.token.not_found', 'No such API token.')
            await session.delete(record)
            await session.commit()

    @staticmethod
    async def _touch(session: AsyncSession, record: UserSession | ApiToken, now: datetime) -> None:
        """Record use at most every few minutes, so reads do not turn into a write per request."""
        seen = record.last_seen_at if isinstance(record, UserSession) else record.last_used_at
        if seen is not None and now - seen <= LAST_SEEN_RESOLUTION:
            return
        if isinstance(record, UserSession):
            record.last_seen_at = now
        else:
            record.last_used_at = now
        session.add(record)
        await session.commit()


def require_user(user: User | None) -> User:
    if user is None:
        raise AuthError('error.auth.required', 'Log in to continue.')
    return user
