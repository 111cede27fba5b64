"""SillyTavern-compatible World Info (lorebooks): the entry and book model, the file formats, and the activation
engine that decides which entries go into a prompt. Pure logic: no database, no web framework.

`entry` holds the model with a lossless SillyTavern round trip, `formats` the world JSON and file import,
`card_book` the Card V2 `character_book` conversion, `foreign_books` the Agnai/NovelAI/RisuAI importers, and
`activation` SillyTavern's `checkWorldInfo` (with `candidates`, `matching`, `inclusion_groups` and `timed_effects`
for its parts).
"""

from .activation import Activation, DepthInjection, FiredEntry, ScanInput, WorldInfoSettings, activate
from .candidates import BookSource
from .card_book import book_from_character_book, book_to_character_book
from .entry import WorldBook, WorldEntry
from .formats import book_from_st, book_to_st, parse_lorebook_file

__all__ = ['Activation', 'BookSource', 'DepthInjection', 'FiredEntry', 'ScanInput', 'WorldBook', 'WorldEntry',
           'WorldInfoSettings', 'activate', 'book_from_character_book', 'book_from_st', 'book_to_character_book',
           'book_to_st', 'parse_lorebook_file']
