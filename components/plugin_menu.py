"""Navigation entries that enabled plugins add (`menu_links` hook), in the header and the narrow-screen drawer.

The app shell is drawn synchronously, so the entries are asked for in the background and appear a moment after the
page; nothing is asked when no plugin implements `menu_links`.
"""

from __future__ import annotations

from nicegui import background_tasks, ui

from app.plugins.chat_bridge import hook_items
from plugins.sdk import MenuLink

from .page_context import PageContext


def plugin_menu_links(ctx: PageContext, header: ui.element, drawer: ui.element) -> None:
    """Fill `header` (a row of nav buttons) and `drawer` (a column of them) with the viewer's plugin links."""
    if ctx.user is not None and ctx.services.plugins.has_impls('menu_links'):
        background_tasks.create(_fill(ctx, header, drawer), name='plugin menu links')


async def _fill(ctx: PageContext, header: ui.element, drawer: ui.element) -> None:
    links = [(plugin_id, link) for plugin_id, link in await hook_items(ctx.services.plugins, 'menu_links', ctx.user)
             if isinstance(link, MenuLink)]
    if header.is_deleted or drawer.is_deleted:
        return
    for plugin_id, link in links:
        with header:
            ui.button(link.label, icon=link.icon, on_click=lambda href=link.href: ui.navigate.to(href)) \
                .props('flat dense no-caps color=white').classes('px-2').mark(f'plugin-link-{plugin_id}')
        with drawer:
            ui.button(link.label, icon=link.icon, on_click=lambda href=link.href: ui.navigate.to(href)) \
                .props('flat align=left').classes('w-full').mark(f'plugin-drawer-link-{plugin_id}')
