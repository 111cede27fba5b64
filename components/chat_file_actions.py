"""Chat files in the chat list panel: an "Import chat" button (a SillyTavern or Chub .jsonl, or a CAI Tools,
oobabooga, Agnai, KoboldAI Lite or RisuAI .json, into the current character) and a per-chat Export menu (JSONL,
Markdown, text, and the formats enabled plugins add) that downloads through the REST export route."""

from __future__ import annotations

from nicegui import events, ui

from app.errors import TavernError
from app.plugins.contributions import export_formats
from app.services.chat_files import EXPORT_FORMATS

from .page_context import PageContext

ACCEPTED = '.jsonl,.json,application/jsonl,application/x-ndjson,application/json'


def export_url(chat_id: str, fmt: str) -> str:
    return f'/api/v1/chats/{chat_id}/export?format={fmt}'


async def export_choices(ctx: PageContext) -> list[tuple[str, str]]:
    """(format id, label) of every export format: the app's own, then those of the user's enabled plugins."""
    plugin_formats = await export_formats(ctx.services.plugins, ctx.user, EXPORT_FORMATS)
    return [*((fmt, ctx.t(f'chat_files.format.{fmt}')) for fmt in EXPORT_FORMATS),
            *((fmt, item.label) for fmt, (_, item) in plugin_formats.items())]


def export_menu(ctx: PageContext, chat_id: str, choices: list[tuple[str, str]]) -> None:
    """A download button whose menu offers each export format of `choices` (see `export_choices`)."""
    with ui.button(icon='download').props(f'flat dense round aria-label="{ctx.t("chat_files.export")}"') \
            .mark(f'export-chat-{chat_id}'), ui.menu():
        for fmt, label in choices:
            ui.menu_item(label, on_click=lambda fmt=fmt: ui.download.from_url(export_url(chat_id, fmt))) \
                .mark(f'export-{fmt}-{chat_id}')


def import_button(ctx: PageContext, character_id: str) -> None:
    """A full-width button opening the import dialog."""
    dialog = ImportDialog(ctx, character_id)
    ui.button(ctx.t('chat_files.import'), icon='upload_file', on_click=dialog.open).props('outline') \
        .classes('w-full').mark('import-chat')


class ImportDialog:
    """Upload one chat file; on success the (first) new chat opens, on failure the reason shows under the uploader."""

    def __init__(self, ctx: PageContext, character_id: str) -> None:
        self.ctx = ctx
        self.character_id = character_id
        limits = ctx.services.chat_import.limits
        t = ctx.t
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-md'):
            ui.label(t('chat_formats.import_title')).classes('text-lg font-bold')
            ui.label(t('chat_formats.import_hint', limit=limits.max_megabytes)).classes('text-sm opacity-70')
            any_file = ctx.services.plugins.has_impls('import_formats')  # plugins may read other extensions
            self.upload = ui.upload(label=t('chat_formats.choose_file'), auto_upload=True,
                                    max_file_size=limits.max_bytes,
                                    on_upload=self._received, on_rejected=self._rejected) \
                .props(('' if any_file else f'accept="{ACCEPTED}" ') + 'flat bordered').classes('w-full') \
                .mark('chat-import-upload')
            self.error = ui.label().classes('text-negative text-sm').mark('chat-import-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=self.dialog.close).props('flat').mark('chat-import-cancel')

    def open(self) -> None:
        self.error.text = ''
        self.upload.reset()
        self.dialog.open()

    async def _received(self, event: events.UploadEventArguments) -> None:
        limits = self.ctx.services.chat_import.limits
        try:
            if event.file.size() > limits.max_bytes:
                raise limits.too_large()
            chats = await self.ctx.services.chat_import.import_file(self.ctx.user, await event.file.read(),
                                                                    event.file.name, self.character_id)
        except TavernError as failure:
            self.error.text = self.ctx.error_text(failure)
            self.upload.reset()
            return
        self.dialog.close()
        count = sum(chat.message_count for chat in chats)
        notice = self.ctx.t('chat_formats.imported_chats', chats=len(chats), count=count) if len(chats) > 1 \
            else self.ctx.t('chat_files.imported', count=count)
        ui.notify(notice, type='positive')
        ui.navigate.to(f'/chat/{chats[0].id}')

    def _rejected(self) -> None:
        self.error.text = self.ctx.t('error.chat_file.too_large',
                                     limit=self.ctx.services.chat_import.limits.max_megabytes)
