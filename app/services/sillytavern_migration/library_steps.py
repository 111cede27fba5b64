"""Characters and lorebooks of a SillyTavern folder, and which lorebooks apply where.

A card goes through the card import, so it is recognised by its content hash, and the lorebook embedded in it becomes
the character's own book. A world file (`worlds/<name>.json`) becomes a lorebook named like the file, unless the
account holds the same entries already under that name (or a numbered copy of it), or as the book of a character
whose card links that world (SillyTavern embeds the linked world in the card, so both are usually the same).

After everything else, `settings.json` says which books SillyTavern used globally (`world_info.globalSelect`) and
which extra books each character has (`world_info.charLore`); a card links its own world in
`data.extensions.world`. Those links are added to what the account has (nothing is unlinked), and the world-info
settings (scan depth, budget, recursion …) replace the account's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..card_import import ImportResult
from ..world_info import WorldBook, parse_lorebook_file
from ..world_info.settings import ST_SETTING_KEYS, WorldInfoSettings
from .report import MigrationItem, Reason
from .run_base import RunBase, Step, card_stem, is_copy_name, missing_books, object_of

WORLD_INFO_SOURCE = 'settings.json: world_info.charLore, cards: extensions.world'
GLOBAL_SOURCE = 'settings.json: world_info.globalSelect'
SETTINGS_SOURCE = 'settings.json: world_info_settings'
SETTINGS_NAME = 'world_info_settings'
CARD_STATUSES = {'imported': 'imported', 'duplicate': 'skipped', 'failed': 'failed'}
Fingerprint = list[tuple[tuple[str, ...], tuple[str, ...], str]]


class LibrarySteps(RunBase):
    # Characters

    def character_steps(self) -> list[Step]:
        return [self.step('character', path, path.stem, self._character) for path in self.layout.card_files()]

    async def _character(self, step: Step, path: Path) -> MigrationItem:
        data = await self.read(path)
        result = (await self.service.card_import.import_file(self.owner, path.name, data))[0]
        if result.character_id:
            self.character_ids[path.stem] = result.character_id
            character = await self.service.characters.get(self.owner, result.character_id)
            world = object_of(object_of(character.card.get('data')).get('extensions')).get('world')
            if isinstance(world, str) and world:
                self.linked_worlds.setdefault(world, []).append(character.id)
        return step.item(CARD_STATUSES[result.status], name=result.name, target_id=result.character_id,
                         reason=_card_reason(result))

    # Lorebooks

    def lorebook_steps(self) -> list[Step]:
        return [self.step('lorebook', path, path.stem, self._lorebook) for path in self.layout.world_files()]

    async def _lorebook(self, step: Step, path: Path) -> MigrationItem:
        book = await asyncio.to_thread(parse_lorebook_file, await self.read(path), path.name)
        same = await self._same_book(book, path.stem)
        if same is not None:
            self.world_ids[path.stem] = same[0]
            return step.item('skipped', name=same[1], target_id=same[0])
        stored = await self.service.lorebooks.add_book(self.owner, book)
        self.world_ids[path.stem] = stored.id
        self.books = None
        return step.item('imported', name=stored.name, target_id=stored.id)

    async def _same_book(self, book: WorldBook, world: str) -> tuple[str, str] | None:
        """(id, name) of a book here with the same entries, named like the world or linked to it by a card."""
        name = ' '.join(book.name.split())
        books = await self.existing_books()
        candidates = {found.id: found.name for found in books if is_copy_name(found.name, name)}
        names = {found.id: found.name for found in books}
        for character_id in self.linked_worlds.get(world, []):
            primary = (await self.service.lorebooks.character_book_ids(self.owner, character_id))[:1]
            candidates.update((book_id, names.get(book_id, world)) for book_id in primary)
        wanted = _fingerprint(book)
        for book_id, book_name in candidates.items():
            if _fingerprint(await self.service.lorebooks.world_book(self.owner, book_id)) == wanted:
                return book_id, book_name
        return None

    # Links and world-info settings (from settings.json and the cards)

    def world_info_steps(self) -> list[Step]:
        if not self.settings and not self.layout.world_files():
            return []
        return [Step('settings', 'settings.json', 'World Info', self._world_info)]

    async def _world_info(self, step: Step) -> list[MigrationItem]:
        world_info = object_of(self.settings.get('world_info_settings'))
        selected = object_of(world_info.get('world_info'))
        items = [await self._character_links(step, character_id, linked, extra)
                 for character_id, (linked, extra) in self._character_worlds(selected).items()]
        global_names = [str(name) for name in selected.get('globalSelect') or []]
        if global_names:
            items.append(await self._global_links(step, global_names))
        if set(world_info) & set(ST_SETTING_KEYS.values()):
            items.append(await self._settings(step, world_info))
        return items

    def _character_worlds(self, selected: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
        """Character id → (the world its card links, its extra books from `charLore`)."""
        worlds: dict[str, tuple[list[str], list[str]]] = {}
        for world, character_ids in self.linked_worlds.items():
            for character_id in character_ids:
                worlds.setdefault(character_id, ([], []))[0].append(world)
        for entry in selected.get('charLore') or []:
            entry = object_of(entry)
            character_id = self.character_for(card_stem(str(entry.get('name') or '')))
            if character_id is not None:
                worlds.setdefault(character_id, ([], []))[1].extend(str(name) for name in entry.get('extraBooks') or [])
        return worlds

    async def _character_links(self, step: Step, character_id: str, linked: list[str],
                               extra: list[str]) -> MigrationItem:
        """Bind the card's world (as its primary book) and the extra books to the character. A linked world that is
        not here is fine when the card brought its own book: SillyTavern embeds the linked world in the card."""
        lorebooks = self.service.lorebooks
        current = await lorebooks.character_book_ids(self.owner, character_id)
        character = await self.service.characters.get(self.owner, character_id)
        worlds = [*linked, *extra]
        return await self._link(step, f'{character.name}: {", ".join(dict.fromkeys(worlds))}', worlds, current,
                                lambda ids: lorebooks.set_character_books(self.owner, character_id, ids),
                                optional=set(linked) if current else set())

    async def _global_links(self, step: Step, names: list[str]) -> MigrationItem:
        lorebooks = self.service.lorebooks
        current = await lorebooks.global_book_ids(self.owner)
        return await self._link(step, ', '.join(dict.fromkeys(names)), names, current,
                                lambda ids: lorebooks.set_global_books(self.owner, ids), source=GLOBAL_SOURCE)

    async def _link(self, step: Step, label: str, worlds: list[str], current: list[str],
                    store: Callable[[list[str]], Awaitable[None]], *, source: str = WORLD_INFO_SOURCE,
                    optional: set[str] | None = None) -> MigrationItem:
        """Add the books named `worlds` to the `current` ones (keeping their order) with `store(ids)`; a missing
        book is a failure unless it is `optional`."""
        found = {world: await self.book_id(world) for world in dict.fromkeys(worlds)}
        missing = [world for world, book_id in found.items() if book_id is None and world not in (optional or set())]
        added = [book_id for book_id in dict.fromkeys(found.values()) if book_id is not None and book_id not in current]
        reason = Reason.of(missing_books(missing)) if missing else None
        if added:
            await store([*current, *added])
            return step.item('imported', source=source, name=label, reason=reason)
        return step.item('failed' if missing else 'skipped', source=source, name=label, reason=reason)

    async def _settings(self, step: Step, world_info: dict[str, Any]) -> MigrationItem:
        lorebooks = self.service.lorebooks
        wanted = WorldInfoSettings.from_st(world_info)
        if (await lorebooks.world_info_settings(self.owner)).to_st() == wanted.to_st():
            return step.item('skipped', source=SETTINGS_SOURCE, name=SETTINGS_NAME)
        await lorebooks.update_world_info_settings(self.owner, wanted)
        return step.item('imported', source=SETTINGS_SOURCE, name=SETTINGS_NAME)


def _card_reason(result: ImportResult) -> Reason | None:
    if result.code is None:
        return None
    return Reason(code=result.code, message=result.message or result.code, params=result.params)


def _fingerprint(book: WorldBook) -> Fingerprint:
    """What makes two books the same for the migration: each entry's keys, secondary keys and content."""
    return sorted((tuple(entry.key), tuple(entry.secondary_keys), entry.content) for entry in book.entries)
