"""Import a chat file as new chats of one of the user's characters, in one transaction.

`import_file` takes every format in `chat_formats` (SillyTavern, Chub, CAI Tools, oobabooga, Agnai, KoboldAI Lite,
RisuAI), then the enabled plugins' import formats for the file's extension (`plugin_formats`); a file may hold
several chats (CAI Tools histories, RisuAI "all chats"), each becomes its own chat.
`import_jsonl` takes SillyTavern JSONL only (the SillyTavern migration's chats). The whole file is parsed and checked
before anything is written, and the chats with all their messages are stored in a single commit, so a refused or
failing import leaves nothing behind. Without an explicit character the character the file names (a SillyTavern
header's `character_name`) picks the user's character of that name (ignoring case); files that name none
(headerless group chats, most foreign formats) need the character chosen. Group speakers keep their own names.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import PureWindowsPath
from typing import Any

from sqlmodel import col, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ...db.database import Database
from ...db.models import Character, Chat, Message, User
from ...db.types import utcnow
from ...errors import InvalidInputError
from ...plugins.manager import PluginManager
from ..ownership import load_owned
from .chat_formats import read_chat_file, read_sillytavern
from .limits import ChatFileLimits
from .parsed_chat import FORMAT_LABELS, ParsedChat
from .plugin_formats import import_with_plugins
from .st_header import chat_meta
from .st_message import ImportedMessage

INSERT_BATCH = 1000
MAX_TITLE = 200
FILE_SUFFIXES = ('.jsonl', '.json')


class ChatImportService:
    def __init__(self, db: Database, limits: ChatFileLimits | None = None, *,
                 plugins: PluginManager | None = None) -> None:
        self.db = db
        self.limits = limits or ChatFileLimits()
        self.plugins = plugins

    async def import_file(self, owner: User, data: bytes, filename: str,
                          character_id: str | None = None) -> list[Chat]:
        """Store every chat in `data` (any accepted format) for `character_id`, or the character the file names."""
        try:
            parsed = await asyncio.to_thread(read_chat_file, data, filename, self.limits)
        except InvalidInputError:
            converted = await self._plugin_import(owner, data, filename)
            if converted is None:
                raise
            parsed = converted
        return await self._store(owner, parsed, filename, character_id)

    async def _plugin_import(self, owner: User, data: bytes, filename: str) -> list[ParsedChat] | None:
        if self.plugins is None or not self.plugins.has_impls('import_formats') or len(data) > self.limits.max_bytes:
            return None
        return await import_with_plugins(self.plugins, owner, data, filename, self.limits)

    async def import_jsonl(self, owner: User, data: bytes, filename: str, character_id: str | None = None) -> Chat:
        """Store the chat in `data` (a SillyTavern .jsonl) for `character_id`, or the character its header names."""
        parsed = await asyncio.to_thread(read_sillytavern, data, self.limits)
        (chat,) = await self._store(owner, [parsed], filename, character_id)
        return chat

    async def _store(self, owner: User, parsed: list[ParsedChat], filename: str,
                     character_id: str | None) -> list[Chat]:
        name = PureWindowsPath(filename or '').name
        async with self.db.session() as session:
            character = await _pick_character(session, owner, parsed[0], character_id)
            chats = [_new_chat(owner, character, item, name, '' if item.title else _number(index, len(parsed)))
                     for index, item in enumerate(parsed)]
            session.add_all(chats)
            await session.flush()
            for chat, item in zip(chats, parsed, strict=True):
                await _insert_messages(session, chat, item.messages)
            await session.commit()
            return chats


async def _pick_character(session: AsyncSession, owner: User, parsed: ParsedChat,
                          character_id: str | None) -> Character:
    """The chosen character, else the owner's only character named like the one the file names."""
    if character_id:
        return await load_owned(session, Character, character_id, owner, code='error.character.not_found',
                                message='No such character.')
    name = parsed.character_name
    if parsed.source_format in ('sillytavern', 'chub') and parsed.header is None:
        raise InvalidInputError('error.chat_file.choose_character',
                                'This chat file does not name its character (SillyTavern group chats do not). '
                                'Choose the character to import it into.')
    if not name:
        label = FORMAT_LABELS[parsed.source_format]
        raise InvalidInputError('error.chat_format.choose_character',
                                f'This {label} chat does not name its character. Choose the character to import it '
                                'into.', format=label)
    rows = (await session.exec(select(col(Character.id), col(Character.name))
                               .where(col(Character.owner_id) == owner.id))).all()
    matches = [row_id for row_id, row_name in rows if row_name.casefold() == name.casefold()]
    if len(matches) == 1:
        return await load_owned(session, Character, matches[0], owner, code='error.character.not_found',
                                message='No such character.')
    if matches:
        raise InvalidInputError('error.chat_file.character_ambiguous',
                                f'Several of your characters are named "{name}". Choose the character to import '
                                'the chat into.', name=name)
    raise InvalidInputError('error.chat_file.character_not_found',
                            f'None of your characters is named "{name}". Import that character first, or choose '
                            'the character to import the chat into.', name=name)


def _new_chat(owner: User, character: Character, parsed: ParsedChat, filename: str, number: str) -> Chat:
    started = parsed.started or _first_date(parsed.messages) or utcnow()
    title = parsed.title or _title(filename) or f'{character.name} – {started:%Y-%m-%d}'
    meta = chat_meta(parsed.header, filename=filename, group=parsed.group, source_format=parsed.source_format)
    if parsed.header is None and parsed.chat_metadata:
        meta['chat_metadata'] = parsed.chat_metadata
    return Chat(owner_id=owner.id, character_id=character.id, title=f'{title[:MAX_TITLE - len(number)]}{number}',
                meta=meta, message_count=len(parsed.messages), created_at=started, updated_at=utcnow())


async def _insert_messages(session: AsyncSession, chat: Chat, messages: list[ImportedMessage]) -> None:
    """Insert the rows in batches; a message without a readable date takes the one before it."""
    moment = chat.created_at
    rows: list[dict[str, Any]] = []
    for seq, message in enumerate(messages):
        moment = message.sent_at or moment
        rows.append({'chat_id': chat.id, 'seq': seq, 'role': message.role, 'name': message.name,
                     'content': message.content, 'swipes': message.swipes, 'swipe_index': message.swipe_index,
                     'status': 'complete', 'error': None, 'meta': message.meta, 'created_at': moment})
    for start in range(0, len(rows), INSERT_BATCH):
        await session.exec(insert(Message), params=rows[start:start + INSERT_BATCH])


def _first_date(messages: list[ImportedMessage]) -> datetime | None:
    return next((message.sent_at for message in messages if message.sent_at), None)


def _number(index: int, count: int) -> str:
    """The suffix that tells apart the untitled chats of one file: " (2)" for the second of several."""
    return f' ({index + 1})' if count > 1 else ''


def _title(filename: str) -> str:
    """The file name without `.jsonl` or `.json`, as a one-line chat title."""
    stem = next((filename[:-len(suffix)] for suffix in FILE_SUFFIXES if filename.lower().endswith(suffix)), filename)
    return ' '.join(stem.split())[:MAX_TITLE]
