"""Chats and group chats of a SillyTavern folder.

A chat in `chats/<name>/` belongs to the card file `characters/<name>.*`, as SillyTavern stores them. A chat whose
character is missing or failed to import fails with that reason; no placeholder characters are made up. A group
chat (`group chats/<id>.jsonl`, listed by a group in `groups/*.json`) goes to the chat list of the group's first
member that is here; every message keeps its speaker's name, but the group itself (its other members, reply order,
muting) is not kept, since chats here belong to one character. The group's metadata for that chat (Author's Note …)
becomes the chat's, as SillyTavern 1.12 keeps it in the group file.

A chat is imported once: it keeps the SHA-256 of its file (and the file's path) in `chat.meta` under
`sillytavern_migration`, and the same file for the same character is skipped next time. A chat's own lorebook
(`chat_metadata.world_info`) is bound to it when that book is here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from ...db.models import Chat
from ...errors import InvalidInputError, TavernError
from .report import MigrationItem, Reason
from .run_base import RunBase, Step, card_stem, missing_books, note, object_of, read_json_object

CHAT_SOURCE_KEY = 'sillytavern_migration'


class ChatSteps(RunBase):
    def chat_steps(self) -> list[Step]:
        return [self.step('chat', path, path.stem, self._chat, folder.name)
                for folder in self.layout.chat_folders() for path in self.layout.chat_files(folder)]

    async def _chat(self, step: Step, path: Path, character_file: str) -> MigrationItem:
        character_id = self.character_for(character_file)
        if character_id is None:
            raise InvalidInputError('error.migration.chat_without_character',
                                    f'The character of this chat is not in your library: characters/'
                                    f'{character_file}.png is missing or could not be imported.',
                                    character=character_file)
        return await self._import_chat(step, path, character_id, {})

    def group_chat_steps(self) -> list[Step]:
        groups = self._groups_by_chat()
        steps = []
        for path in self.layout.group_chat_files():
            group = groups.get(path.stem)
            name = f'{group.get("name") or path.stem} – {path.stem}' if group else path.stem
            steps.append(self.step('group_chat', path, name, self._group_chat, group))
        return steps

    async def _group_chat(self, step: Step, path: Path, group: dict[str, Any] | None) -> MigrationItem:
        if group is None:
            raise InvalidInputError('error.migration.group_not_found',
                                    'No group in groups/ lists this chat, so its characters are unknown.')
        members = [str(member) for member in group.get('members') or []]
        character_id = next((found for member in members
                             if (found := self.character_for(card_stem(member))) is not None), None)
        if character_id is None:
            names = ', '.join(card_stem(member) for member in members)
            raise InvalidInputError('error.migration.group_without_character',
                                    f'None of the characters of the group ({names}) is in your library.',
                                    members=names)
        source = {'group': {'id': group.get('id'), 'name': group.get('name'), 'members': members}}
        return await self._import_chat(step, path, character_id, source, _group_chat_metadata(group, path.stem))

    async def _import_chat(self, step: Step, path: Path, character_id: str, source: dict[str, Any],
                           group_metadata: dict[str, Any] | None = None) -> MigrationItem:
        data = await self.read(path)
        digest = hashlib.sha256(data).hexdigest()
        known = await self._chats_of(character_id)
        if digest in known:
            return step.item('skipped', target_id=known[digest])
        chats = self.service.chats
        chat = await self.service.chat_import.import_jsonl(self.owner, data, path.name, character_id)
        updates: dict[str, Any] = {CHAT_SOURCE_KEY: {'file': step.source, 'sha256': digest, **source}}
        if group_metadata and not (chat.meta or {}).get('chat_metadata'):
            updates['chat_metadata'] = group_metadata
        chat = await chats.update_meta(self.owner, chat.id, updates)
        if step.kind == 'group_chat':
            chat = await chats.rename(self.owner, chat.id, step.name)
        known[digest] = chat.id
        reason = await self._bind_chat_book(chat.id, object_of(chat.meta.get('chat_metadata')).get('world_info'))
        return step.item('imported', name=chat.title, target_id=chat.id, reason=reason)

    async def _bind_chat_book(self, chat_id: str, world: Any) -> Reason | None:
        """Bind the chat's own lorebook; the reason it was left out when that book is not here."""
        if not isinstance(world, str) or not world:
            return None
        book_id = await self.book_id(world)
        if book_id is None:
            return Reason.of(missing_books([world]))
        try:
            await self.service.lorebooks.set_chat_book(self.owner, chat_id, book_id)
        except TavernError as error:
            return Reason.of(error)
        return None

    async def _chats_of(self, character_id: str) -> dict[str, str]:
        """SHA-256 of the source file → chat id, for the character's chats that came from a migration."""
        if character_id not in self.chat_digests:
            statement = select(col(Chat.id), col(Chat.meta)).where(col(Chat.owner_id) == self.owner.id,
                                                                    col(Chat.character_id) == character_id)
            async with self.service.db.session() as session:
                rows = (await session.exec(statement)).all()
            self.chat_digests[character_id] = {
                source['sha256']: chat_id for chat_id, meta in rows
                if isinstance(source := (meta or {}).get(CHAT_SOURCE_KEY), dict) and source.get('sha256')}
        return self.chat_digests[character_id]

    def _groups_by_chat(self) -> dict[str, dict[str, Any]]:
        """Each group chat id → its group (from `groups/*.json`); unreadable group files become notes."""
        groups: dict[str, dict[str, Any]] = {}
        for path in self.layout.group_files():
            try:
                group = read_json_object(path)
            except TavernError as error:
                file = self.layout.relative(path)
                self.notes.append(note('migration.note.group_unreadable', f'{file} was not read: {error.message}',
                                       file=file, reason=error.message))
                continue
            for chat_id in [*(group.get('chats') or []), group.get('chat_id')]:
                if isinstance(chat_id, str) and chat_id:
                    groups.setdefault(chat_id, group)
        return groups


def _group_chat_metadata(group: dict[str, Any], chat_id: str) -> dict[str, Any] | None:
    """SillyTavern 1.12 keeps a group chat's metadata in the group file (`past_metadata`, or `chat_metadata` for
    the group's current chat), not in the chat file."""
    past = object_of(object_of(group.get('past_metadata')).get(chat_id))
    if past:
        return past
    current = object_of(group.get('chat_metadata'))
    return current if group.get('chat_id') == chat_id and current else None
