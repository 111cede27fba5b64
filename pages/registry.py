"""The `@page` decorator: declares a page once, registered on the app by `register_pages()` at build time.

It resolves the `PageContext`, sends anonymous visitors of protected pages to the login page, refuses non-admins on
admin pages, and wraps the body in the app shell. Registration is a separate step because NiceGUI's test harness
resets all routes between tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import context, ui

from components.app_shell import app_shell, forbidden_notice
from components.page_context import PageContext

Access = Literal['public', 'user', 'admin']
PageBody = Callable[..., Awaitable[Response | None]]


@dataclass(frozen=True)
class PageSpec:
    path: str
    body: PageBody
    title_key: str
    access: Access
    shell: bool


PAGES: list[PageSpec] = []


def page(path: str, *, title_key: str, access: Access = 'user', shell: bool = True) -> Callable[[PageBody], PageBody]:
    """Declare `body(ctx, **path_and_query_params)` as the page at `path`; a body may return a redirect."""
    def decorator(body: PageBody) -> PageBody:
        PAGES.append(PageSpec(path, body, title_key, access, shell))
        return body
    return decorator


def register_pages() -> None:
    from . import catalog  # noqa: F401  (importing the page modules runs their @page declarations)
    for spec in PAGES:
        ui.page(spec.path)(_handler(spec))


def _handler(spec: PageSpec) -> Callable[..., Awaitable[Response | None]]:
    async def handler(request: Request, **params: object) -> Response | None:
        ctx = await PageContext.from_request(request)
        if spec.access != 'public' and ctx.user is None:
            return RedirectResponse(f'/login?next={quote(ctx.path)}', status_code=303)
        ui.page_title(f'{ctx.t(spec.title_key)} · {ctx.t("app.name")}')
        if not spec.shell:
            return await spec.body(ctx, **params)
        with app_shell(ctx):
            if spec.access == 'admin' and not (ctx.user and ctx.user.is_admin):
                context.client.status_code = 403
                forbidden_notice(ctx)
                return None
            return await spec.body(ctx, **params)

    body_params = [p for name, p in inspect.signature(spec.body).parameters.items() if name != 'ctx']
    request_param = inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    handler.__signature__ = inspect.Signature([request_param, *body_params])  # type: ignore[attr-defined]
    handler.__name__ = spec.body.__name__
    return handler
