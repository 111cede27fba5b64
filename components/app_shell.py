"""The frame around every signed-in page: header with navigation, language and theme switches, user menu.

On narrow screens (375 px phones) the navigation moves into a drawer opened from the menu button.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from nicegui import ui

from .page_context import PageContext
from .plugin_menu import plugin_menu_links

NAV_ITEMS: list[tuple[str, str, str, bool]] = [
    # (path, i18n key, icon, admin only)
    ('/', 'nav.library', 'people', False),
    ('/chats', 'nav.chats', 'forum', False),
    ('/personas', 'nav.personas', 'face', False),
    ('/lorebooks', 'nav.lorebooks', 'menu_book', False),
    ('/presets', 'nav.presets', 'tune', False),
    ('/connections', 'nav.connections', 'hub', False),
    ('/settings', 'nav.settings', 'settings', False),
    ('/plugins', 'nav.plugins', 'extension', False),
    ('/admin', 'nav.admin', 'admin_panel_settings', True),
]


@contextmanager
def app_shell(ctx: PageContext) -> Iterator[None]:
    """Build header and drawer, then yield inside the main content column."""
    dark = ui.dark_mode({'auto': None, 'light': False, 'dark': True}.get(ctx.theme))
    items = [item for item in NAV_ITEMS if not item[3] or (ctx.user and ctx.user.is_admin)]
    with ui.left_drawer(value=False, fixed=True).classes('lg:hidden').props('overlay bordered') as drawer:
        for path, key, icon, _ in items:
            ui.button(ctx.t(key), icon=icon, on_click=lambda p=path: ui.navigate.to(p)).props('flat align=left') \
                .classes('w-full')
        drawer_links = ui.column().classes('w-full gap-0')
    with ui.header(elevated=True).classes('items-center gap-1 px-2 py-1'):
        ui.button(icon='menu', on_click=drawer.toggle) \
            .props(f'flat round dense color=white aria-label="{ctx.t("nav.menu")}"').classes('lg:hidden') \
            .mark('nav-menu').tooltip(ctx.t('nav.menu'))
        ui.link(ctx.t('app.name'), '/').classes('text-lg font-bold text-white no-underline mr-4')
        with ui.row().classes('gap-1 max-lg:hidden'):
            for path, key, icon, _ in items:
                ui.button(ctx.t(key), icon=icon, on_click=lambda p=path: ui.navigate.to(p)) \
                    .props('flat dense no-caps color=white').classes('px-2')
            header_links = ui.row().classes('gap-1')
        plugin_menu_links(ctx, header_links, drawer_links)
        ui.space()
        _locale_switch(ctx)
        ui.button(icon='dark_mode', on_click=lambda: _toggle_theme(ctx, dark)) \
            .props(f'flat round color=white aria-label="{ctx.t("nav.theme")}"') \
            .mark('theme-toggle').tooltip(ctx.t('nav.theme'))
        if ctx.user:
            _user_menu(ctx)
    with ui.column().classes('w-full max-w-6xl mx-auto p-2 sm:p-4 gap-4'):
        yield


def forbidden_notice(ctx: PageContext) -> None:
    with ui.card().classes('mx-auto mt-8'):
        ui.label(ctx.t('error.auth.admin_required')).classes('text-lg')
        ui.link(ctx.t('nav.library'), '/')


def _locale_switch(ctx: PageContext) -> None:
    other = 'zh-CN' if ctx.locale == 'en' else 'en'
    label = '中文' if other == 'zh-CN' else 'EN'
    ui.button(label, on_click=lambda: ui.navigate.to(f'/prefs/locale?lang={other}&next={quote(ctx.path)}')) \
        .props('flat dense color=white').mark('locale-switch').tooltip(ctx.t('nav.language'))


async def _toggle_theme(ctx: PageContext, dark: ui.dark_mode) -> None:
    dark.value = not dark.value
    if ctx.user:
        ctx.user = await ctx.services.accounts.update_preferences(ctx.user.id,
                                                                  theme='dark' if dark.value else 'light')


def _user_menu(ctx: PageContext) -> None:
    assert ctx.user is not None
    button = ui.button(icon='account_circle').props(f'flat round color=white aria-label={ctx.user.handle}')
    with button.mark('user-menu'), ui.menu():
        ui.menu_item(ctx.user.display_name or ctx.user.handle).props('disable')
        ui.menu_item(ctx.t('nav.settings'), on_click=lambda: ui.navigate.to('/settings'))
        ui.menu_item(ctx.t('creator.title'), on_click=lambda: ui.navigate.to('/creator')).mark('creator-open')
        ui.menu_item(ctx.t('nav.logout'), on_click=lambda: _logout(ctx)).mark('logout')


async def _logout(ctx: PageContext) -> None:
    await ctx.services.sessions.end_session(ctx.session_token)
    ui.navigate.to('/auth/logged-out')
