"""The summary in the chat's side panel: what the model is given, how far it reaches, and two buttons — summarise the
new messages now, or rewrite the summary by hand (an empty text forgets it)."""

from __future__ import annotations

from nicegui import ui

from plugins.sdk import PluginContext, SlotTarget

from .summaries import HISTORY_LIMIT, lines_of, new_lines, save_text, summarise, summary_of


async def summary_panel(ctx: PluginContext, target: SlotTarget) -> None:
    def t(key: str, **params: object) -> str:
        return ctx.t(key, target.locale, **params)

    chat_id = target.chat_id or ''
    summary = await summary_of(ctx, target.user.id, chat_id)
    every = (await ctx.user_settings(target.user)).every_messages
    with ui.card().classes('w-full').mark('memory-panel'):
        ui.label(t('panel.title')).classes('font-bold')
        if summary is None or not summary.text:
            ui.label(t('panel.none', every=every)).classes('text-sm opacity-70').mark('memory-none')
        else:
            ui.markdown(summary.text).classes('text-sm').mark('memory-text')
            ui.label(t('panel.edited' if summary.edited else 'panel.covers', number=summary.covered_seq + 1)) \
                .classes('text-xs opacity-70').mark('memory-covers')
        if summary is not None and summary.last_error:
            ui.label(t('panel.failed', reason=summary.last_error)).classes('text-xs text-negative') \
                .mark('memory-error')
        with ui.row().classes('gap-1'):
            now = ui.button(t('panel.now'), icon='auto_stories').props('flat dense').mark('memory-now')
            now.on_click(lambda: summarise_now(ctx, target, now))
            text = summary.text if summary else ''
            ui.button(t('panel.edit'), icon='edit', on_click=lambda: edit(ctx, target, text)) \
                .props('flat dense').mark('memory-edit')


async def summarise_now(ctx: PluginContext, target: SlotTarget, button: ui.button) -> None:
    chat_id = target.chat_id or ''
    messages = await ctx.services.chat_messages(target.user, chat_id, limit=HISTORY_LIMIT)
    lines = lines_of(messages)
    if not new_lines(lines, await summary_of(ctx, target.user.id, chat_id)):
        ui.notify(ctx.t('panel.up_to_date', target.locale))
        return
    button.props('loading')
    try:
        await summarise(ctx, target.user, chat_id, lines)
    except Exception as error:  # the backend's failure is shown, the old summary stays
        ui.notify(ctx.t('panel.failed', target.locale, reason=str(error)), type='negative')
    else:
        ui.notify(ctx.t('panel.done', target.locale), type='positive')
    target.refresh()


async def edit(ctx: PluginContext, target: SlotTarget, text: str) -> None:
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl'):
        ui.label(ctx.t('panel.edit_title', target.locale)).classes('font-bold')
        box = ui.textarea(value=text).props('autogrow').classes('w-full').mark('memory-edit-text')
        with ui.row().classes('justify-end w-full'):
            ui.button(ctx.t('panel.cancel', target.locale), on_click=lambda: dialog.submit(None)).props('flat')
            ui.button(ctx.t('panel.save', target.locale), on_click=lambda: dialog.submit(box.value or '')) \
                .mark('memory-edit-save')
    written = await dialog
    if written is not None:
        await save_text(ctx, target.user.id, target.chat_id or '', written)
        target.refresh()
