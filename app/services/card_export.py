"""Exporting one of the user's characters as a card file: PNG (SillyTavern's `chara` and `ccv3` chunks in the
avatar), JSON (V2 or V3) or CharX, named after the character. When the character's primary lorebook was edited
(or another book was chosen), the card carries that book as its `character_book`. A CharX export also carries the
files kept from the CharX the character was imported from."""

from __future__ import annotations

import asyncio

from ..db.models import Character, User
from .card_formats import CardFormat, CardSpec, CharxFiles, export_card, kept_files
from .characters import CharacterService
from .downloads import Download, filename_stem
from .lorebooks import LorebookService
from .media import MediaStore

FALLBACK_STEM = 'character'



class CardExportService:
    def __init__(self, characters: CharacterService, media: MediaStore, lorebooks: LorebookService) -> None:
        self.characters = characters
        self.media = media
        self.lorebooks = lorebooks

    async def export(self, owner: User, character_id: str, fmt: CardFormat, spec: CardSpec = 'v2') -> Download:
        """The character's card as a file; another user's character reads as not found."""
        character = await self.characters.get(owner, character_id)
        picture = await self._picture(character.avatar_hash)
        card = character.card
        book = await self.lorebooks.card_book_for_export(owner, character)
        if book is not None:
            card = {**card, 'data': {**card['data'], 'character_book': book}}
        files = await self._charx_files(character) if fmt == 'charx' else None
        exported = await asyncio.to_thread(export_card, card, fmt, spec, picture, files)
        return Download(f'{filename_stem(character.name, FALLBACK_STEM)}.{exported.extension}', exported.media_type,
                        exported.content)

    async def _charx_files(self, character: Character) -> CharxFiles:
        """The kept CharX files' bytes (a file missing from the store is left out), and the imported icon's asset
        entry while the avatar is still the picture it held."""
        kept = kept_files(character.card)
        entries = {}
        for path, digest in kept.files.items():
            stored = self.media.asset(digest)
            if stored is not None:
                entries[path] = await asyncio.to_thread(stored.read_bytes)
        unchanged = kept.icon_digest is not None and kept.icon_digest == character.avatar_hash
        return CharxFiles(entries, kept.icon_asset if unchanged else None)

    async def _picture(self, avatar_hash: str | None) -> bytes | None:
        stored = self.media.avatar(avatar_hash) if avatar_hash else None
        return await asyncio.to_thread(stored.path.read_bytes) if stored else None
