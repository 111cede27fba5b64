"""SillyTavern-compatible chat files: import `.jsonl` chats (solo and group, with swipes and metadata kept) and
export chats as SillyTavern JSONL, Markdown or plain text.

One concept per module: `jsonl_reader` splits and checks a file, `st_message`/`st_header` map SillyTavern objects to
our rows and back, `dates` reads and writes SillyTavern's timestamps, `jsonl_writer`/`transcript` render files, and
`importer`/`exporter` are the services.
"""

from .exporter import EXPORT_FORMATS, ChatExportService, ExportFormat
from .importer import ChatImportService
from .limits import ChatFileLimits

__all__ = ['EXPORT_FORMATS', 'ChatExportService', 'ChatFileLimits', 'ChatImportService', 'ExportFormat']
