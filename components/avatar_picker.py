"""The editor's avatar: a preview plus an upload button for PNG, JPEG or WebP pictures.

The picker only collects the bytes; whoever owns it stores them and reports back with `show_saved` or `show_error`,
so a new character can hold a picture that is applied right after its first save.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from nicegui import events, ui

from .avatar import avatar
from .page_context import PageContext

ACCEPTED_TYPES = '.png,.jpg,.jpeg,.webp,image/png,image/jpeg,image/webp'
PREVIEW_CLASSES = 'w-40 h-40 text-6xl'


class AvatarPicker:
    def __init__(self, ctx: PageContext, name: str, url: str | None,
                 on_picture: Callable[[bytes], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.name = name
        self.url = url
        self.on_picture = on_picture
        with ui.column().classes('items-center gap-2'):
            self.preview = ui.element('div')
            self._show_preview()
            self.upload = ui.upload(label=ctx.t('editor.avatar.upload'), auto_upload=True,
                                    max_file_size=ctx.services.settings.max_avatar_bytes,
                                    on_upload=self._received, on_rejected=self._rejected) \
                .props(f'accept="{ACCEPTED_TYPES}" flat bordered').classes('w-56').mark('avatar-upload')
            ui.label(ctx.t('editor.avatar.hint')).classes('text-xs opacity-70 text-center w-56')
            self.error = ui.label().classes('text-negative text-sm text-center w-56').mark('avatar-error')

    def show_saved(self, url: str | None) -> None:
        """Show the stored picture at `url` and clear any earlier error."""
        self.url = url
        self.error.text = ''
        self._show_preview()

    def show_pending(self, data: bytes, content_type: str) -> None:
        """Preview bytes that are not stored yet (a new character's picture before its first save)."""
        self.show_saved(f'data:{content_type};base64,{base64.b64encode(data).decode()}')

    def show_error(self, text: str) -> None:
        self.error.text = text
        ui.notify(text, type='negative')

    def _show_preview(self) -> None:
        self.preview.clear()
        with self.preview:
            avatar(self.name, self.url, size_classes=PREVIEW_CLASSES)

    async def _received(self, event: events.UploadEventArguments) -> None:
        self.upload.reset()
        await self.on_picture(await event.file.read())

    def _rejected(self) -> None:
        limit = self.ctx.services.settings.max_avatar_bytes // 1024
        self.show_error(self.ctx.t('editor.avatar.rejected', max_kb=limit))
