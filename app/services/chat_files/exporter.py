"""Export one of the user's chats as a file: SillyTavern JSONL (re-importable there and here), Markdown or text, or
any format an enabled plugin adds (see `plugin_formats`)."""

from __future__ import annotations

import asyncio
from typing import Literal

from sqlmodel import col, select

from ...db.database import Database
from ...db.models import Character, Chat, Message, User
from ...plugins.manager import PluginManager
from ..downloads import Download, filename_stem
from ..ownership import load_owned
from ..personas import PersonaService
from .jsonl_writer import write_jsonl
from .plugin_formats import export_with_plugin
from .st_header import header_of
from .transcript import Speakers, write_markdown, write_text

ExportFormat = Literal['jsonl', 'md', 'txt']
EXPORT_FORMATS: tuple[ExportFormat, ...] = ('jsonl', 'md', 'txt')
MEDIA_TYPES: dict[ExportFormat, str] = {'jsonl': 'application/jsonl; charset=utf-8',
                                        'md': 'text/markdown; charset=utf-8', 'txt': 'text/plain; charset=utf-8'}
MAX_FILENAME_STEM = 150



class ChatExportService:
    def __init__(self, db: Database, personas: PersonaService, plugins: PluginManager) -> None:
        self.db = db
        self.personas = personas
        self.plugins = plugins

    async def export(self, owner: User, chat_id: str, fmt: ExportFormat | str) -> Download:
        """The chat as a file in `fmt` (one of `EXPORT_FORMATS` or a plugin format's id); someone else's chat is
        "not found"."""
        async with self.db.session() as session:
            chat = await load_owned(session, Chat, chat_id, owner, code='error.chat.not_found',
                                    message='No such chat.')
            character = await session.get(Character, chat.character_id)
            messages = (await session.exec(select(Message).where(col(Message.chat_id) == chat.id)
                                           .order_by(col(Message.seq)))).all()
        persona = await self.personas.for_chat(owner, chat)
        speakers = Speakers(user=persona.name, character=character.name if character else '')
        stem = filename_stem(chat.title, 'chat', MAX_FILENAME_STEM)
        if fmt not in EXPORT_FORMATS:
            return await export_with_plugin(self.plugins, owner, fmt, EXPORT_FORMATS, chat, list(messages), speakers,
                                            stem)
        content = await asyncio.to_thread(_render, fmt, chat, list(messages), speakers)
        return Download(f'{stem}.{fmt}', MEDIA_TYPES[fmt], content)


def _render(fmt: ExportFormat, chat: Chat, messages: list[Message], speakers: Speakers) -> bytes:
    if fmt == 'md':
        return write_markdown(chat.title, messages, speakers)
    if fmt == 'txt':
        return write_text(messages, speakers)
    header = header_of(chat, user_name=speakers.user, character_name=speakers.character)
    return write_jsonl(header, messages, user_name=speakers.user, character_name=speakers.character)
