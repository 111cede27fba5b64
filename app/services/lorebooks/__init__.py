"""Lorebooks (SillyTavern World Info) stored per user: books and entries, files in and out, which books apply to a
chat, and the world-info settings. The pure formats and the activation engine live in `app.services.world_info`."""

from __future__ import annotations

from ...db.database import Database
from .bindings import LorebookBindings
from .books import LorebookBooks
from .files import LorebookFiles, card_lorebook
from .settings import LorebookSettings


class LorebookService(LorebookBooks, LorebookFiles, LorebookBindings, LorebookSettings):
    """Books and entries (`LorebookBooks`), import and export (`LorebookFiles`), bindings and the books of a chat
    (`LorebookBindings`), and world-info settings (`LorebookSettings`)."""

    def __init__(self, db: Database) -> None:
        self.db = db


__all__ = ['LorebookService', 'card_lorebook']
