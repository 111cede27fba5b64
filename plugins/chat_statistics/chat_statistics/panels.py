"""The side panel's summary of a chat and the statistics page, drawn with the helpers of `views.py`."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from plugins.sdk import PluginContext, PluginPage

from . import collect, views

PAGE = '/p/chat_statistics/'


class ChatSummary:
    """The side panel's card: this chat in a few lines."""

    def __init__(self, ctx: PluginContext, user: Any, chat_id: str, locale: str) -> None:
        self.ctx = ctx
        self.user = user
        self.chat_id = chat_id
        self.locale = locale

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.locale, **params)

    async def build(self) -> None:
        with ui.card().classes('w-full gap-1').props('flat bordered').mark('chat-statistics'):
            with ui.row().classes('w-full items-center no-wrap'):
                ui.label(self.t('sidebar.title')).classes('text-base font-semibold')
                ui.space()
                label = self.t('refresh')
                ui.button(icon='refresh', on_click=self.show).props(f'flat round dense aria-label="{label}"') \
                    .mark('chat-statistics-refresh').tooltip(label)
            self.body = ui.column().classes('w-full gap-0')
            ui.link(self.t('sidebar.more'), f'{PAGE}?chat={self.chat_id}').classes('text-sm') \
                .mark('chat-statistics-more')
        await self.show()

    async def show(self) -> None:
        stats, _ = await collect.chat_statistics(self.ctx, self.user, self.chat_id, views.fallback_names(self.t))
        self.body.clear()
        with self.body:
            views.summary(self.t, stats)


class StatisticsPage:
    def __init__(self, ctx: PluginContext, page: PluginPage) -> None:
        self.ctx = ctx
        self.page = page

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.page.locale, **params)

    async def build(self) -> None:
        chat_id = self.page.query.get('chat')
        if chat_id:
            ui.label(self.t('page.chat_title')).classes('text-2xl font-bold')
            ui.link(self.t('page.all_link'), PAGE).mark('stats-all-link')
            try:
                stats, complete = await collect.chat_statistics(self.ctx, self.page.user, chat_id,
                                                                views.fallback_names(self.t))
            except Exception as error:  # an unknown or foreign chat id: the app's not-found error
                ui.label(getattr(error, 'message', '') or str(error)).classes('text-negative').mark('stats-no-chat')
                return
            ranking = None
        else:
            ui.label(self.t('page.all_title')).classes('text-2xl font-bold')
            user_name = self.page.user.display_name or self.page.user.handle
            found = await collect.overview(self.ctx, self.page.user, user_name)
            stats, complete, ranking = found.stats, found.complete, found.characters
        if not complete:
            ui.label(self.t('page.partial', count=collect.MAX_MESSAGES)).classes('text-warning') \
                .mark('stats-partial')
        if not stats.messages:
            ui.label(self.t('page.empty')).classes('opacity-70').mark('stats-empty')
            return
        views.figures(self.t, stats, stats.chats if ranking is not None else None)
        views.speakers_table(self.t, stats)
        views.longest(self.t, stats)
        views.per_day_chart(self.t, stats)
        if ranking is not None:
            views.characters_table(self.t, ranking)
