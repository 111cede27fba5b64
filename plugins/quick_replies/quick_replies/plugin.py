"""Quick replies: each user's sets of one-click messages, shown in the chat toolbar.

A set appears in the toolbar as a button with a menu of its replies; choosing one sends its message through the chat
input (so `/commands` in it run, as in SillyTavern), or, for a set marked "insert only", puts it in the input (in
place of what was typed there) to finish by hand. `{{char}}` and `{{user}}` in a message are filled in with the
chat's names when it is sent. Sets are kept in the plugin's own table and managed on its page, which also imports
SillyTavern Quick Reply files.
"""

from __future__ import annotations

import re

from plugins.sdk import ChatInfo, PluginContext, PluginPage, SlotTarget, hookimpl

from .models import QuickReplySet
from .store import user_sets

TOOLBAR_SLOT = 'chat.input.toolbar'
SETTINGS_SLOT = 'settings.plugins.quick_replies'
PAGE_PATH = '/p/quick_replies/'
NAME_MACRO = re.compile(r'\{\{(char|user)\}\}', re.IGNORECASE)


@hookimpl
def register_tables(ctx: PluginContext) -> list[type]:
    return [QuickReplySet]


@hookimpl
def register_pages(ctx: PluginContext) -> dict[str, object]:
    async def manage(page: PluginPage) -> None:
        from .page import QuickRepliesPage

        await QuickRepliesPage(ctx, page).build()

    return {'/': manage}


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> object:
    if slot == TOOLBAR_SLOT:
        async def build_toolbar(target: SlotTarget) -> None:
            await toolbar(ctx, target)
        return build_toolbar
    if slot == SETTINGS_SLOT:
        async def build_settings(target: SlotTarget) -> None:
            await settings_link(ctx, target)
        return build_settings
    return None


@hookimpl
def message_submitted(ctx: PluginContext, text: str, chat: ChatInfo) -> str | None:
    """Fill in `{{char}}` and `{{user}}` with the chat's character and persona names."""
    if '{{' not in text:
        return None
    return NAME_MACRO.sub(lambda match: chat.character_name if match.group(1).lower() == 'char' else chat.user_name,
                          text)


async def toolbar(ctx: PluginContext, target: SlotTarget) -> None:
    """A menu button per enabled set; without any, one button that leads to the page to make one."""
    from nicegui import ui

    manage_label = ctx.t('toolbar.manage', target.locale)
    sets = [row for row in await user_sets(ctx, target.user.id, enabled_only=True) if row.replies]
    if not sets:
        ui.button(icon='bolt', on_click=lambda: ui.navigate.to(PAGE_PATH)) \
            .props(f'flat round dense aria-label="{manage_label}"').tooltip(manage_label).mark('qr-toolbar-manage')
        return
    for row in sets:
        with ui.button(row.name, icon='bolt').props('flat dense no-caps').mark(f'qr-toolbar-set-{row.id}'), ui.menu():
            for index, reply in enumerate(row.replies):
                item = ui.menu_item(reply['label'], on_click=lambda message=reply['message'], insert=row.insert_only:
                                    use_reply(ctx, target, message, insert)).mark(f'qr-reply-{row.id}-{index}')
                if reply.get('title'):
                    item.tooltip(reply['title'])
            ui.separator()
            ui.menu_item(manage_label, on_click=lambda: ui.navigate.to(PAGE_PATH))


async def settings_link(ctx: PluginContext, target: SlotTarget) -> None:
    """On the plugins page: how many sets the user has, and the way to their page."""
    from nicegui import ui

    count = len(await user_sets(ctx, target.user.id))
    with ui.row().classes('items-center gap-2').mark('qr-settings'):
        ui.label(ctx.t('settings.count', target.locale, count=count))
        ui.button(ctx.t('toolbar.manage', target.locale), icon='bolt', on_click=lambda: ui.navigate.to(PAGE_PATH)) \
            .props('flat').mark('qr-settings-manage')


async def use_reply(ctx: PluginContext, target: SlotTarget, message: str, insert: bool) -> None:
    from nicegui import ui

    if insert:
        target.fill_input(message)
    elif not await target.send_input(message):
        ui.notify(ctx.t('toolbar.no_chat', target.locale), type='warning')
