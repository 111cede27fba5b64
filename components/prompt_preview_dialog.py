"""The prompt preview: the exact messages the next reply would send, the prompt block each came from, the tokens
each block takes, and which lorebook entries would fire and why."""

from __future__ import annotations

from nicegui import ui

from app.errors import TavernError

from .page_context import PageContext

ROLE_COLORS = {'system': 'grey-7', 'user': 'primary', 'assistant': 'secondary'}


async def open_prompt_preview(ctx: PageContext, chat_id: str) -> None:
    t = ctx.t
    try:
        target, prepared = await ctx.services.generation.preview(ctx.user, chat_id)
    except TavernError as failure:
        ui.notify(ctx.error_text(failure), type='negative')
        return
    built = prepared.built
    with ui.dialog().props('maximized') as dialog, ui.card().classes('w-full').mark('prompt-preview'):
        with ui.row().classes('w-full items-center'):
            ui.label(t('preview.title')).classes('text-lg font-bold')
            ui.space()
            ui.label(t('preview.total', tokens=built.total_tokens, context=target.context_size,
                       reply=target.sampler.max_tokens)).mark('preview-total')
            ui.button(icon='close', on_click=dialog.close).props('flat round').mark('preview-close')
        if not prepared.fits:
            ui.label(t('preview.does_not_fit')).classes('w-full text-negative font-bold').mark('preview-overflow')
        with ui.row().classes('w-full gap-4 no-wrap items-start'):
            with ui.column().classes('w-64 shrink-0 gap-1'):
                ui.label(t('preview.blocks')).classes('font-bold')
                for source, tokens in built.block_tokens.items():
                    with ui.row().classes('w-full justify-between').mark(f'preview-block-{source}'):
                        ui.label(_block_name(ctx, source))
                        ui.label(str(tokens)).classes('opacity-70')
                _fired_entries(ctx, prepared.world_info)
            with ui.column().classes('grow gap-2').mark('preview-messages'):
                for message, source in zip(built.messages, built.sources, strict=True):
                    with ui.card().classes('w-full p-2').props('flat bordered').mark('preview-message'):
                        with ui.row().classes('items-center gap-2'):
                            ui.badge(message.role, color=ROLE_COLORS.get(message.role, 'grey'))
                            ui.label(_block_name(ctx, source)).classes('text-xs opacity-70')
                            if message.name:
                                ui.label(message.name).classes('text-xs opacity-70')
                        ui.label(message.content).classes('whitespace-pre-wrap text-sm')
    dialog.open()


def fired_entries_list(ctx: PageContext, entries: list[dict]) -> None:
    """One line per lorebook entry that fired: its book, title (or uid) and the reason it fired."""
    for entry in entries:
        title = entry.get('comment') or f'#{entry.get("uid")}'
        with ui.column().classes('gap-0').mark('fired-entry'):
            ui.label(f'{entry.get("book_name", "")} · {title}').classes('text-sm')
            ui.label(_reason(ctx, str(entry.get('reason', '')))).classes('text-xs opacity-70')


def _fired_entries(ctx: PageContext, entries: list[dict]) -> None:
    ui.label(ctx.t('preview.world_info', count=len(entries))).classes('font-bold mt-4')
    if not entries:
        ui.label(ctx.t('preview.no_world_info')).classes('text-xs opacity-70')
    fired_entries_list(ctx, entries)


def _block_name(ctx: PageContext, source: str) -> str:
    key = f'preview.block.{source}'
    text = ctx.t(key)
    return source if text == key else text


def _reason(ctx: PageContext, reason: str) -> str:
    kind, _, detail = reason.partition(':')
    key = f'preview.reason.{kind}'
    text = ctx.t(key, detail=detail)
    return reason if text == key else text
