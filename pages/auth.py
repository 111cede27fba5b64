"""Log-in and registration pages.

A websocket event cannot set a cookie, so after checking the credentials the page issues a one-time ticket and
navigates to `/auth/complete`, an HTTP route that sets the session cookie and redirects on.
"""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from app.api.web_session import safe_next
from app.errors import TavernError
from components.page_context import PageContext

from .registry import page


@page('/login', title_key='auth.login.title', access='public', shell=False)
async def login_page(ctx: PageContext, next: str = '/', expired: str = '') -> None:
    if ctx.user:
        ui.navigate.to(safe_next(next))
        return
    with _auth_card(ctx, 'auth.login.title'):
        if expired:
            ui.label(ctx.t('auth.login.expired')).classes('text-warning')
        handle = ui.input(ctx.t('auth.handle')).props('autofocus autocomplete=username').classes('w-full') \
            .mark('handle')
        password = ui.input(ctx.t('auth.password'), password=True, password_toggle_button=True) \
            .props('autocomplete=current-password').classes('w-full').mark('password')
        error = ui.label().classes('text-negative').mark('auth-error')

        async def submit() -> None:
            address = ui.context.client.request.client.host if ui.context.client.request.client else ''
            try:
                user = await ctx.services.accounts.authenticate(handle.value, password.value, address)
            except TavernError as failure:
                error.text = ctx.error_text(failure)
                return
            token = await ctx.services.sessions.create_session(user, address=address)
            ticket = await ctx.services.sessions.issue_ticket(token)
            ui.navigate.to(f'/auth/complete?ticket={ticket}&next={quote(safe_next(next))}')

        password.on('keydown.enter', submit)
        ui.button(ctx.t('auth.login.submit'), on_click=submit).classes('w-full').mark('login-submit')
        if await ctx.services.instance.registration_open():
            with ui.row().classes('gap-1'):
                ui.label(ctx.t('auth.login.no_account'))
                ui.link(ctx.t('auth.register.title'), f'/register?next={quote(safe_next(next))}')


@page('/register', title_key='auth.register.title', access='public', shell=False)
async def register_page(ctx: PageContext, next: str = '/') -> None:
    with _auth_card(ctx, 'auth.register.title'):
        if not await ctx.services.instance.registration_open() and await _has_users(ctx):
            ui.label(ctx.t('error.register.closed')).mark('registration-closed')
            ui.link(ctx.t('auth.login.title'), '/login')
            return
        handle = ui.input(ctx.t('auth.handle'), placeholder=ctx.t('auth.handle.hint')).classes('w-full').mark('handle')
        display_name = ui.input(ctx.t('auth.display_name')).classes('w-full').mark('display-name')
        password = ui.input(ctx.t('auth.password'), password=True, password_toggle_button=True) \
            .props('autocomplete=new-password').classes('w-full').mark('password')
        repeat = ui.input(ctx.t('auth.password.repeat'), password=True) \
            .props('autocomplete=new-password').classes('w-full').mark('password-repeat')
        error = ui.label().classes('text-negative').mark('auth-error')

        async def submit() -> None:
            if password.value != repeat.value:
                error.text = ctx.t('error.password.mismatch')
                return
            try:
                user = await ctx.services.accounts.register(handle.value, password.value, display_name.value)
            except TavernError as failure:
                error.text = ctx.error_text(failure)
                return
            if ctx.locale != ctx.services.settings.default_locale:
                await ctx.services.accounts.update_preferences(user.id, locale=ctx.locale)
            token = await ctx.services.sessions.create_session(user)
            ticket = await ctx.services.sessions.issue_ticket(token)
            ui.navigate.to(f'/auth/complete?ticket={ticket}&next={quote(safe_next(next))}')

        repeat.on('keydown.enter', submit)
        ui.button(ctx.t('auth.register.submit'), on_click=submit).classes('w-full').mark('register-submit')
        with ui.row().classes('gap-1'):
            ui.label(ctx.t('auth.register.have_account'))
            ui.link(ctx.t('auth.login.title'), f'/login?next={quote(safe_next(next))}')


async def _has_users(ctx: PageContext) -> bool:
    return bool(await ctx.services.accounts.list_users(limit=1))


def _auth_card(ctx: PageContext, title_key: str) -> ui.card:
    ui.dark_mode(None)
    other = 'zh-CN' if ctx.locale == 'en' else 'en'
    with ui.row().classes('w-full justify-end p-2'):
        ui.button('中文' if other == 'zh-CN' else 'EN',
                  on_click=lambda: ui.navigate.to(f'/prefs/locale?lang={other}&next={quote(ctx.path)}')) \
            .props('flat dense').mark('locale-switch')
    card = ui.card().classes('w-full max-w-sm mx-auto mt-4 sm:mt-12 gap-3')
    with card:
        ui.label(ctx.t('app.name')).classes('text-sm text-grey')
        ui.label(ctx.t(title_key)).classes('text-2xl font-bold')
    return card
