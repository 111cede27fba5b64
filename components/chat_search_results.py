"""One chat in the results of a search across all chats: its title and character, then its matching messages, each
a snippet with the match highlighted that opens the chat scrolled to that message."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from nicegui import ui

from app.services.chat_search import ChatHits, MessageHit

from .page_context import PageContext


def chat_hits_card(ctx: PageContext, chat: ChatHits, *, selected: bool,
                   on_select: Callable[[str, bool], None]) -> None:
    t = ctx.t
    with ui.card().classes('w-full gap-1').mark(f'search-chat-{chat.chat_id}'):
        with ui.row().classes('w-full items-center no-wrap gap-2'):
            ui.checkbox(value=selected, on_change=lambda e: on_select(chat.chat_id, e.value)) \
                .props(f'dense aria-label="{t("chats_page.select_chat")}"').mark(f'select-chat-{chat.chat_id}')
            with ui.column().classes('grow gap-0 min-w-0'):
                ui.link(chat.title, f'/chat/{chat.chat_id}').classes('font-bold truncate text-inherit')
                ui.label(chat.character_name).classes('text-sm opacity-70')
            if chat.match_count:
                ui.badge(t('chat_search.matches', count=chat.match_count)).props('outline')
        for hit in chat.hits:
            _hit_link(ctx, chat, hit)
        hidden = chat.match_count - len(chat.hits)
        if hidden > 0:
            ui.label(t('chat_search.more', count=hidden)).classes('text-xs opacity-60')


def _hit_link(ctx: PageContext, chat: ChatHits, hit: MessageHit) -> None:
    speaker = hit.name or (ctx.t('chat_search.you') if hit.role == 'user' else chat.character_name)
    snippet = hit.snippet
    html = (f'<b>{escape(speaker)}:</b> {escape(snippet.before)}<mark>{escape(snippet.match)}</mark>'
            f'{escape(snippet.after)}')
    with ui.link(target=f'/chat/{chat.chat_id}?message={hit.message_id}') \
            .classes('w-full text-inherit no-underline rounded hover:bg-primary/10 px-1') \
            .mark(f'search-hit-{hit.message_id}'):
        ui.html(html).classes('text-sm break-words')
