"""Exporting one of the user's characters as a card file: PNG (SillyTavern's `chara` and `ccv3` chunks in the
avatar), JSON (V2 or V3) or CharX, named after the character."""

from __future__ import annotations

import asyncio

from ..db.models import User
from .card_formats import CardFormat, CardSpec, export_card
from .characters import CharacterService
from .downloads import Download, filename_stem
from .media import MediaStore

FALLBACK_STEM = 'character'



class CardExportService:
    def __init__(self, characters: CharacterService, media: MediaStore) -> None:
        self.characters = characters
        self.media = media

    async def export(self, owner: User, character_id: str, fmt: CardFormat, spec: CardSpec = 'v2') -> Download:
        """The character's card as a file; another user's character reads as not found."""
        character = await self.characters.get(owner, character_id)
        picture = await self._picture(character.avatar_hash)
        exported = await asyncio.to_thread(export_card, character.card, fmt, spec, picture)
        return Download(f'{filename_stem(character.name, FALLBACK_STEM)}.{exported.extension}', exported.media_type,
                        exported.content)

    async def _picture(self, avatar_hash: str | None) -> bytes | None:
        stored = self.media.avatar(avatar_hash) if avatar_hash else None
        return await asyncio.to_thread(stored.path.read_bytes) if stored else None
