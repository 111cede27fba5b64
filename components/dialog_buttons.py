"""The Cancel / Save row at the bottom of every edit dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from .page_context import PageContext


def cancel_save_buttons(ctx: PageContext, dialog: ui.dialog, on_save: Callable[[], Awaitable[None]], *,
                        save_marker: str = 'dialog-submit') -> None:
    with ui.row().classes('w-full justify-end gap-2'):
        ui.button(ctx.t('common.cancel'), on_click=dialog.close).props('flat').mark('dialog-cancel')
        ui.button(ctx.t('common.save'), on_click=on_save).mark(save_marker)
