"""Chat statistics: the plugin's hooks.

The chat's side panel (`chat.sidebar`) shows the current chat's summary with a refresh button and a link to the
page. The page `/p/chat_statistics/` shows all the user's chats together — totals, speakers, the longest message,
messages per day and the most active characters — or one chat with `?chat=<id>`.
"""

from __future__ import annotations

from typing import Any

from plugins.sdk import PluginContext, PluginPage, SlotBuilder, SlotTarget, hookimpl

SIDEBAR = 'chat.sidebar'


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> SlotBuilder | None:
    if slot != SIDEBAR:
        return None

    async def build(target: SlotTarget) -> None:
        from .panels import ChatSummary

        if target.chat_id is not None:
            await ChatSummary(ctx, target.user, target.chat_id, target.locale).build()

    return build


@hookimpl
def register_pages(ctx: PluginContext) -> dict[str, Any]:
    async def statistics_page(page: PluginPage) -> None:
        from .panels import StatisticsPage

        await StatisticsPage(ctx, page).build()

    return {'/': statistics_page}
