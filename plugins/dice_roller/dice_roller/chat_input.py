"""Sending a message through the chat page's input, from a button in the chat toolbar slot.

The SDK's `SlotTarget.fill_input(text)` puts text into the chat input, but offers no way yet to send it (so that
slash commands and replies run exactly as if the user typed it and pressed send). Until it does, this fills the input
and presses the send button the chat page marks `send`, in the same NiceGUI page. Call it from a click handler there.
"""

from __future__ import annotations

from plugins.sdk import SlotTarget

SEND_MARKER = 'send'


def send(target: SlotTarget, text: str) -> bool:
    """Put `text` in the chat input and press send; False when this page has no send button."""
    from nicegui import ElementFilter, ui

    button = next(iter(ElementFilter(kind=ui.button, marker=SEND_MARKER)), None)
    if button is None:
        return False
    target.fill_input(text)
    button.run_method('click')
    return True
