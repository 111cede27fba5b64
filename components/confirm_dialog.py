"""A yes/no question in a dialog, awaited by the caller (used before deleting or discarding changes)."""

from __future__ import annotations

from nicegui import ui


async def confirm(question: str, *, ok_label: str, cancel_label: str, danger: bool = False) -> bool:
    """Ask `question`; True only when the user presses the OK button (closing the dialog counts as cancel)."""
    with ui.dialog() as dialog, ui.card().classes('max-w-sm'):
        ui.label(question).mark('confirm-question')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(cancel_label, on_click=lambda: dialog.submit(False)).props('flat').mark('confirm-cancel')
            ui.button(ok_label, on_click=lambda: dialog.submit(True)) \
                .props(f'color={"negative" if danger else "primary"}').mark('confirm-ok')
    answer = await dialog
    dialog.delete()
    return bool(answer)
