"""User accounts: registration (the first account becomes admin), login checks, profile and admin actions."""

from __future__ import annotations

import re

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db.database import Database
from ..db.models import User, UserSession
from ..db.types import utcnow
from ..errors import AuthError, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, TavernError
from ..plugins.manager import PluginManager
from ..security.passwords import DUMMY_HASH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password, verify_password
from .instance_settings import InstanceSettingsService
from .login_throttle import LoginThrottle

HANDLE_PATTERN = re.compile(r'^[a-z0-9][a-z0-9._-]{2,31}$')
ROLES = ('admin', 'user')
THEMES = ('auto', 'light', 'dark')


def normalize_handle(handle: str) -> str:
    return handle.strip().lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError('error.password.too_short',
                                f'The password must have at least {MIN_PASSWORD_LENGTH} characters.',
                                min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError('error.password.too_long',
                                f'The password must have at most {MAX_PASSWORD_LENGTH} characters.',
                                max=MAX_PASSWORD_LENGTH)


class AccountService:
    def __init__(self, db: Database, instance: InstanceSettingsService, throttle: LoginThrottle,
                 plugins: PluginManager) -> None:
        self.db = db
        self.instance = instance
        self.throttle = throttle
        self.plugins = plugins

    async def register(self, handle: str, password: str, display_name: str = '', *,
                       by_admin: bool = False, role: str | None = None) -> User:
        """Create an account; the very first account on an instance is an admin."""
        handle = normalize_handle(handle)
        if not HANDLE_PATTERN.match(handle):
            raise InvalidInputError('error.register.handle_invalid', 'A handle is 3 to 32 characters: lower-case '
                                    'letters, digits, dot, dash or underscore.')
        check_password(password)
        async with self.db.session() as session:
            is_first = (await session.exec(select(func.count()).select_from(User))).one() == 0
            if not (is_first or by_admin or await self.instance.registration_open()):
                raise PermissionDeniedError('error.register.closed', 'Registration is closed on this server. '
                                            'Ask an administrator for an account.')
            if (await session.exec(select(User).where(User.handle == handle))).first():
                raise ConflictError('error.register.handle_taken',
                                    f'The handle "{handle}" is already taken. Choose another one.', handle=handle)
            user = User(handle=handle, display_name=display_name.strip()[:64] or handle,
                        password_hash=hash_password(password), role=role or ('admin' if is_first else 'user'))
            session.add(user)
            await session.commit()
        self.plugins.notify('user.registered', {'user_id': user.id, 'handle': user.handle})
        return user

    async def authenticate(self, handle: str, password: str, address: str = '') -> User:
        """Return the user for correct credentials; every failure looks the same to the caller."""
        handle = normalize_handle(handle)
        await self.throttle.check(handle, address)
        async with self.db.session() as session:
            user = (await session.exec(select(User).where(User.handle == handle))).first()
            password_ok = verify_password(user.password_hash if user else DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
            if user is None or not password_ok:
                await self.throttle.record_failure(handle, address)
                raise AuthError('error.auth.invalid_credentials', 'Wrong handle or password.')
            if user.disabled:
                raise AuthError('error.auth.disabled', 'This account is disabled. Ask an administrator to enable it.')
            user.last_login_at = utcnow()
            session.add(user)
            await session.commit()
        await self.throttle.reset_account(handle)
        return user

    async def get(self, user_id: str) -> User:
        async with self.db.session() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFoundError('error.user.not_found', 'No such user.')
        return user

    async def list_users(self, *, query: str = '', offset: int = 0, limit: int = 100) -> list[User]:
        statement = select(User).where(*_user_filter(query)).order_by(col(User.created_at), col(User.id))
        async with self.db.session() as session:
            return list((await session.exec(statement.offset(offset).limit(limit))).all())

    async def count_users(self, *, query: str = '') -> int:
        async with self.db.session() as session:
            return (await session.exec(select(func.count()).select_from(User).where(*_user_filter(query)))).one()

    async def update_preferences(self, user_id: str, *, locale: str | None = None, theme: str | None = None,
                                 display_name: str | None = None) -> User:
        async with self.db.session() as session:
            user = await self._load(session, user_id)
            if locale is not None:
                user.locale = locale
            if theme is not None:
                if theme not in THEMES:
                    raise InvalidInputError('error.theme.invalid', f'Theme must be one of {", ".join(THEMES)}.')
                user.theme = theme
            if display_name is not None:
                user.display_name = display_name.strip()[:64] or user.handle
            session.add(user)
            await session.commit()
            return user

    async def change_password(self, user_id: str, old_password: str, new_password: str) -> None:
        async with self.db.session() as session:
            user = await self._load(session, user_id)
            if not verify_password(user.password_hash, old_password):
                raise AuthError('error.auth.invalid_credentials', 'Wrong handle or password.')
        await self.reset_password(user_id, new_password)

    async def set_disabled(self, actor: User, user_id: str, disabled: bool) -> User:
        """Disable or enable an account; disabling also ends all of its sessions."""
        self._require_admin(actor)
        if actor.id == user_id and disabled:
            raise PermissionDeniedError('error.admin.self', 'You cannot disable or demote your own account.')
        async with self.db.session() as session:
            user = await self._load(session, user_id)
            if disabled and user.is_admin:
                await self._ensure_other_admin(session, user_id)
            user.disabled = disabled
            session.add(user)
            if disabled:
                await self._end_sessions(session, user_id)
            await session.commit()
            return user

    async def set_role(self, actor: User, user_id: str, role: str) -> User:
        self._require_admin(actor)
        if role not in ROLES:
            raise InvalidInputError('error.role.invalid', f'Role must be one of {", ".join(ROLES)}.')
        if actor.id == user_id and role != 'admin':
            raise PermissionDeniedError('error.admin.self', 'You cannot disable or demote your own account.')
        async with self.db.session() as session:
            user = await self._load(session, user_id)
            if user.is_admin and role != 'admin':
                await self._ensure_other_admin(session, user_id)
            user.role = role
            session.add(user)
            await session.commit()
            return user

    async def admin_reset_password(self, actor: User, user_id: str, new_password: str) -> None:
        self._require_admin(actor)
        await self.reset_password(user_id, new_password)

    async def reset_password(self, user_id: str, new_password: str) -> None:
        """Set a new password and end every session of the account, so old logins stop working."""
        check_password(new_password)
        async with self.db.session() as session:
            user = await self._load(session, user_id)
            user.password_hash = hash_password(new_password)
            session.add(user)
            await self._end_sessions(session, user_id)
            await session.commit()
        await self.throttle.reset_account(user.handle)

    async def set_registration_open(self, actor: User, is_open: bool) -> None:
        self._require_admin(actor)
        await self.instance.set_registration_open(is_open)

    @staticmethod
    def _require_admin(actor: User) -> None:
        if not actor.is_admin:
            raise PermissionDeniedError('error.auth.admin_required', 'Only administrators can do this.')

    @staticmethod
    async def _load(session: AsyncSession, user_id: str) -> User:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFoundError('error.user.not_found', 'No such user.')
        return user

    @staticmethod
    async def _ensure_other_admin(session: AsyncSession, user_id: str) -> None:
        statement = select(func.count()).select_from(User).where(
            User.role == 'admin', col(User.disabled).is_(False), User.id != user_id)
        if (await session.exec(statement)).one() == 0:
            raise TavernError('error.admin.last_admin',
                              'This is the last active administrator; promote someone else first.')

    @staticmethod
    async def _end_sessions(session: AsyncSession, user_id: str) -> None:
        rows = await session.exec(select(UserSession).where(UserSession.user_id == user_id))
        for row in rows.all():
            await session.delete(row)


def _user_filter(query: str) -> list:
    """Admins search by a piece of the handle or the display name."""
    text = query.strip().lower()
    if not text:
        return []
    return [or_(col(User.handle).contains(text, autoescape=True),
                func.lower(col(User.display_name)).contains(text, autoescape=True))]
