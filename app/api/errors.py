"""Turns `TavernError`s into JSON responses in the caller's language, never a traceback."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import RateLimitedError, TavernError
from ..i18n import pick_locale, translate


def error_body(error: TavernError, locale: str) -> dict:
    text = translate(error.code, locale, **error.params)
    return {'detail': error.message if text == error.code else text, 'code': error.code}


async def handle_tavern_error(request: Request, error: TavernError) -> JSONResponse:
    locale = pick_locale(accept_language=request.headers.get('accept-language', ''))
    headers = {'Retry-After': str(error.retry_after)} if isinstance(error, RateLimitedError) else None
    return JSONResponse(error_body(error, locale), status_code=error.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TavernError, handle_tavern_error)  # type: ignore[arg-type]
