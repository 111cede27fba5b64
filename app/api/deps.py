"""FastAPI dependencies: the services, the current user (session cookie or bearer token), admin checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from .. import runtime
from ..db.models import User
from ..errors import AuthError, PermissionDeniedError
from ..security.tokens import SESSION_COOKIE
from ..services.container import Services

SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})


def get_services() -> Services:
    return runtime.services()


ServicesDep = Annotated[Services, Depends(get_services)]


def bearer_token(request: Request) -> str:
    scheme, _, value = request.headers.get('authorization', '').partition(' ')
    return value.strip() if scheme.lower() == 'bearer' else ''


def client_address(request: Request) -> str:
    return request.client.host if request.client else ''


async def optional_user(request: Request, services: ServicesDep) -> User | None:
    """The caller's user, from `Authorization: Bearer` first, then the session cookie."""
    token = bearer_token(request)
    if token:
        return await services.sessions.user_for_token(token)
    cookie = request.cookies.get(SESSION_COOKIE, '')
    if not cookie:
        return None
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise PermissionDeniedError('error.auth.cross_site', 'Cross-site request refused. Use a bearer token.')
    return await services.sessions.user_for_token(cookie)


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise AuthError('error.auth.required', 'Log in to continue.')
    return user


async def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise PermissionDeniedError('error.auth.admin_required', 'Only administrators can do this.')
    return user


CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]


def _same_origin(request: Request) -> bool:
    """Cookie-authenticated writes must come from our own pages (SameSite=Lax plus an Origin check)."""
    origin = request.headers.get('origin') or request.headers.get('referer')
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get('host', '')
