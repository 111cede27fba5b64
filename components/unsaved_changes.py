"""Warns before unsaved edits are lost: a visible badge, and the browser's own leave-page prompt while dirty.

The browser prompt is a `beforeunload` listener reading a flag the server sets with `ui.run_javascript`, so the page
still works where no JavaScript runs (NiceGUI's simulated `user` tests).
"""

from __future__ import annotations

import asyncio

from nicegui import ui

BEFOREUNLOAD_SCRIPT = '''
<script>
window.addEventListener('beforeunload', (event) => {
  if (window.tavernUnsavedChanges) {
    event.preventDefault();
    event.returnValue = '';
  }
});
</script>
'''


class UnsavedChangesGuard:
    def __init__(self, badge_text: str) -> None:
        ui.add_head_html(BEFOREUNLOAD_SCRIPT)
        self.dirty = False
        self.badge = ui.badge(badge_text, color='warning').props('text-color=black').mark('unsaved-badge')
        self.badge.visible = False

    def set_dirty(self, dirty: bool) -> None:
        """Show or hide the badge and arm or disarm the browser prompt."""
        if dirty == self.dirty:
            return
        self.dirty = dirty
        self.badge.visible = dirty
        self.badge.client.run_javascript(f'window.tavernUnsavedChanges = {"true" if dirty else "false"};')

    async def release(self) -> None:
        """Disarm the prompt before the page itself navigates away.

        Fire-and-forget JavaScript is queued by a background task, so yield once to let it be queued before the
        navigation message; otherwise the browser would still ask.
        """
        self.set_dirty(False)
        await asyncio.sleep(0)
