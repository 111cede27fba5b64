"""Text that grows by appended deltas: the server sends only the new piece, never the whole message again."""

from __future__ import annotations

import time

from nicegui import ui

FLUSH_SECONDS = 0.15


class StreamingText(ui.element, component='streaming_text.js'):
    """Plain text while a reply streams; `push` buffers deltas and `flush` sends them as one `append` call.

    `initial` is the text the message already has (a reply being continued).
    """

    def __init__(self, initial: str = '') -> None:
        super().__init__()
        self._props['initial'] = initial
        self.pending: list[str] = []
        self.first_pending_at = 0.0
        self.sent_chars = 0

    def push(self, text: str) -> None:
        if not self.pending:
            self.first_pending_at = time.monotonic()
        self.pending.append(text)

    def due_in(self) -> float | None:
        """Seconds until the buffered text must be flushed, or None when nothing waits."""
        if not self.pending:
            return None
        return max(0.0, self.first_pending_at + FLUSH_SECONDS - time.monotonic())

    def flush(self) -> None:
        if self.pending:
            text = ''.join(self.pending)
            self.pending.clear()
            self.sent_chars += len(text)
            self.run_method('append', text)
