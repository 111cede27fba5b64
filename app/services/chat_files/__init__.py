"""SillyTavern-compatible chat files: import `.jsonl` chats (solo and group, with swipes and metadata kept) and the
other formats SillyTavern imports (Chub, CAI Tools, oobabooga, Agnai, KoboldAI Lite, RisuAI), and export chats as
SillyTavern JSONL, Markdown or plain text.

One concept per module: `jsonl_reader` splits and checks a file, `st_message`/`st_header` map SillyTavern objects to
our rows and back, `dates` reads and writes SillyTavern's timestamps, `chat_formats` recognises a file's format and
`chub`, `cai_tools`, `oobabooga`, `agnai`, `kobold_lite` and `risuai` read the other apps' files into `parsed_chat`s,
`jsonl_writer`/`transcript` render files, and `importer`/`exporter` are the services.
"""

from .exporter import EXPORT_FORMATS, ChatExportService, ExportFormat
from .importer import ChatImportService
from .limits import ChatFileLimits

__all__ = ['EXPORT_FORMATS', 'ChatExportService', 'ChatFileLimits', 'ChatImportService', 'ExportFormat']
