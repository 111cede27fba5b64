"""Choosing lorebooks where they apply: a character's primary and extra books (character editor), a chat's book
(chat side panel) and a persona's book (personas page). Each choice is saved as soon as it is made."""

from __future__ import annotations

from collections.abc import Awaitable

from nicegui import ui

from app.errors import TavernError

from .page_context import PageContext

NONE = ''


async def book_options(ctx: PageContext) -> dict[str, str]:
    """Book id → name for the user's books, after a "none" choice."""
    books = await ctx.services.lorebooks.list(ctx.user)
    return {NONE: ctx.t('lorebooks.pick.none'), **{book.id: book.name for book in books}}


async def character_lorebooks(ctx: PageContext, character_id: str) -> None:
    """The character's primary lorebook (the one its card exports) and any extra books."""
    t = ctx.t
    options = await book_options(ctx)
    current = await ctx.services.lorebooks.character_book_ids(ctx.user, character_id)
    extras = {key: name for key, name in options.items() if key != NONE}

    async def save() -> None:
        primary = primary_select.value or NONE
        chosen = [primary] if primary else []
        chosen += [book_id for book_id in extra_select.value or [] if book_id != primary]
        await _saved(ctx, ctx.services.lorebooks.set_character_books(ctx.user, character_id, chosen))

    with ui.card().classes('w-full gap-2').mark('character-lorebooks'):
        ui.label(t('lorebooks.pick.character_title')).classes('text-lg font-bold')
        ui.label(t('lorebooks.pick.character_hint')).classes('text-sm opacity-70')
        with ui.row().classes('w-full gap-3 flex-wrap'):
            primary_select = ui.select(options, value=current[0] if current else NONE,
                                       label=t('lorebooks.pick.primary'), on_change=save) \
                .props('outlined dense').classes('min-w-64').mark('character-lorebook')
            extra_select = ui.select(extras, value=current[1:], multiple=True, label=t('lorebooks.pick.extra'),
                                     on_change=save) \
                .props('outlined dense use-chips').classes('min-w-64 grow').mark('character-extra-lorebooks')


async def chat_lorebook(ctx: PageContext, chat_id: str) -> None:
    """The chat's own lorebook, scanned before every other book."""
    options = await book_options(ctx)
    current = await ctx.services.lorebooks.chat_book_id(ctx.user, chat_id)

    async def save(event: object) -> None:
        book_id = getattr(event, 'value', None) or None
        await _saved(ctx, ctx.services.lorebooks.set_chat_book(ctx.user, chat_id, book_id))

    ui.select(options, value=current or NONE, label=ctx.t('lorebooks.pick.chat'), on_change=save) \
        .props('outlined dense').classes('w-full').mark('chat-lorebook')


def persona_lorebook(ctx: PageContext, persona_id: str, options: dict[str, str], current: str | None) -> None:
    """The persona's lorebook, used in every chat played as that persona."""
    async def save(event: object) -> None:
        book_id = getattr(event, 'value', None) or None
        await _saved(ctx, ctx.services.lorebooks.set_persona_book(ctx.user, persona_id, book_id))

    ui.select(options, value=current or NONE, label=ctx.t('lorebooks.pick.persona'), on_change=save) \
        .props('outlined dense').classes('w-full').mark('persona-lorebook')


async def _saved(ctx: PageContext, change: Awaitable[None]) -> None:
    try:
        await change
    except TavernError as error:
        ui.notify(ctx.error_text(error), type='negative')
        return
    ui.notify(ctx.t('lorebooks.pick.saved'), type='positive')
