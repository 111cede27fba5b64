"""Who is looking at a page and in which language: resolved once per page load from the request."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from app import runtime
from app.api.web_session import LOCALE_COOKIE
from app.db.models import User
from app.errors import TavernError
from app.i18n import pick_locale, translate
from app.security.tokens import SESSION_COOKIE
from app.services.container import Services


@dataclass
class PageContext:
    user: User | None
    locale: str
    path: str
    session_token: str = ''
    services: Services = field(default_factory=runtime.services, repr=False)

    def t(self, key: str, **params: object) -> str:
        """The user-facing text for `key` in this page's language."""
        return translate(key, self.locale, **params)

    def error_text(self, error: TavernError) -> str:
        """An error's message in this page's language (its English message when the table has no entry)."""
        text = self.t(error.code, **error.params)
        return error.message if text == error.code else text

    @property
    def theme(self) -> str:
        return self.user.theme if self.user else 'auto'

    @classmethod
    async def from_request(cls, request: Request) -> PageContext:
        services = runtime.services()
        token = request.cookies.get(SESSION_COOKIE, '')
        user = await services.sessions.user_for_token(token) if token else None
        locale = pick_locale(user.locale if user else None, request.cookies.get(LOCALE_COOKIE),
                             accept_language=request.headers.get('accept-language', ''),
                             default=services.settings.default_locale)
        path = request.url.path + (f'?{request.url.query}' if request.url.query else '')
        return cls(user=user, locale=locale, path=path, session_token=token if user else '', services=services)
