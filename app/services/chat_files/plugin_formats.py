"""Chat files in and out through plugins' formats (`export_formats`, `import_formats` hooks).

An export format gets the whole chat as the SDK's `ChatExportInput` and returns the file's bytes. An import format
converts a file the app does not read into a SillyTavern JSONL chat, which the app then imports as usual; the
import tries the enabled plugins' formats for the file's extension only after the app's own formats refused it.
A plugin that fails or returns something other than bytes is recorded on the plugins page; the user gets a clear
error (export) or the app's own refusal (import).
"""

from __future__ import annotations

import asyncio
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING

from plugins.sdk.types import ChatExportInput, ExportedMessage

from ...errors import InvalidInputError, ServiceUnavailableError
from ...plugins.chat_bridge import chat_info, guarded
from ...plugins.contributions import export_formats, import_formats
from ..downloads import Download
from .chat_formats import read_sillytavern
from .limits import ChatFileLimits
from .parsed_chat import ParsedChat

if TYPE_CHECKING:
    from ...db.models import Chat, Message, User
    from ...plugins.manager import PluginManager
    from .transcript import Speakers


async def export_with_plugin(manager: PluginManager, owner: User, fmt: str, built_in: tuple[str, ...], chat: Chat,
                             messages: list[Message], speakers: Speakers, stem: str) -> Download:
    """The chat as the file `<stem>.<extension>` in the plugin format `fmt`; an unknown id lists the formats there
    are."""
    formats = await export_formats(manager, owner, built_in)
    if fmt not in formats:
        known = ', '.join([*built_in, *formats])
        raise InvalidInputError('error.chat_file.unknown_export_format',
                                f'There is no chat export format "{fmt}"; use one of: {known}.', format=fmt,
                                known=known)
    plugin_id, export_format = formats[fmt]
    given = ChatExportInput(chat=chat_info(chat, owner, speakers.character, speakers.user), title=chat.title,
                            messages=[ExportedMessage(seq=message.seq, role=message.role, name=message.name,
                                                      content=message.content, created_at=message.created_at)
                                      for message in messages])
    ok, content = await guarded(manager, plugin_id, 'export_formats', export_format.export, given)
    if not ok or not isinstance(content, bytes):
        if ok:
            await manager.record_error(plugin_id, 'export_formats', f'the "{fmt}" export returned '
                                       f'{type(content).__name__} instead of bytes', '')
        raise ServiceUnavailableError('error.plugins.export_failed', f'The "{export_format.label}" export failed; '
                                      'the plugins page shows why.', format=export_format.label)
    return Download(f'{stem}.{export_format.extension.lstrip(".")}', export_format.media_type, content)


async def import_with_plugins(manager: PluginManager, owner: User, data: bytes, filename: str,
                              limits: ChatFileLimits) -> list[ParsedChat] | None:
    """The chat a plugin's import format makes of the file, or None when no enabled format for its extension can."""
    suffix = PureWindowsPath(filename or '').suffix.lower()
    for plugin_id, import_format in await import_formats(manager, owner, 'chat'):
        if suffix not in {extension.lower() if extension.startswith('.') else f'.{extension.lower()}'
                          for extension in import_format.extensions}:
            continue
        ok, converted = await guarded(manager, plugin_id, 'import_formats', import_format.convert, data, filename)
        if not ok:
            continue
        if not isinstance(converted, bytes):
            await manager.record_error(plugin_id, 'import_formats', f'the "{import_format.id}" import returned '
                                       f'{type(converted).__name__} instead of bytes', '')
            continue
        return [await asyncio.to_thread(read_sillytavern, converted, limits)]
    return None
