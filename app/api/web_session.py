"""Plain HTTP routes the NiceGUI pages navigate through to set or clear cookies (a websocket cannot set them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..config import SUPPORTED_LOCALES
from ..security.tokens import SESSION_COOKIE
from .auth import set_session_cookie
from .deps import ServicesDep

LOCALE_COOKIE = 'tavern_locale'
router = APIRouter(include_in_schema=False)


def safe_next(target: str) -> str:
    """Only same-site paths may follow a login, so the redirect cannot send users elsewhere."""
    return target if target.startswith('/') and not target.startswith('//') and '\\' not in target else '/'


@router.get('/auth/complete')
async def complete_login(ticket: str, request: Request, services: ServicesDep, next: str = '/') -> RedirectResponse:
    """Exchange a one-time login ticket (issued by the login page) for the session cookie."""
    token = await services.sessions.redeem_ticket(ticket)
    if token is None:
        return RedirectResponse('/login?expired=1', status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, services.settings.session_days, request.url.scheme == 'https')
    return response


@router.get('/auth/logged-out')
async def logged_out() -> RedirectResponse:
    """Clear the cookie after the page has already ended the session on the server."""
    response = RedirectResponse('/login', status_code=303)
    response.delete_cookie(SESSION_COOKIE, path='/')
    return response


@router.get('/prefs/locale')
async def set_locale(lang: str, request: Request, services: ServicesDep, next: str = '/') -> RedirectResponse:
    """Switch the interface language: stored on the account when logged in, and in a cookie for the browser."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang not in SUPPORTED_LOCALES:
        return response
    user = await services.sessions.user_for_token(request.cookies.get(SESSION_COOKIE, ''))
    if user:
        await services.accounts.update_preferences(user.id, locale=lang)
    response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 86400, samesite='lax', path='/')
    return response
