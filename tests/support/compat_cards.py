"""The real character cards in ../shared/compat (read in place, never copied) and what each one holds, as described
in ../shared/compat/community/SOURCES.md (and, for SillyTavern's own Seraphina, its bundled content)."""

from __future__ import annotations

from dataclasses import dataclass

from .compat import COMPAT_DIR

CARD_DIRS = ('community/cards-png', 'community/cards-json', 'community/charx')
SERAPHINA = 'sillytavern/default_Seraphina.png'


@dataclass(frozen=True)
class CompatFile:
    path: str

    @property
    def filename(self) -> str:
        return self.path.rsplit('/', 1)[-1]

    def data(self) -> bytes:
        return (COMPAT_DIR / self.path).read_bytes()

    def __str__(self) -> str:
        return self.filename


@dataclass(frozen=True)
class CompatCard(CompatFile):
    name: str
    alternate_greetings: int
    book_entries: int
    has_picture: bool = False


@dataclass(frozen=True)
class MalformedCard(CompatFile):
    code: str


def _png(name: str, card_name: str, greetings: int, entries: int, has_picture: bool = True) -> CompatCard:
    return CompatCard(f'community/cards-png/{name}', card_name, greetings, entries, has_picture)


def _json(name: str, card_name: str, greetings: int, entries: int) -> CompatCard:
    return CompatCard(f'community/cards-json/{name}', card_name, greetings, entries)


CARDS = (
    _png('Skynet_v2.png', 'Skynet', 0, 0),
    _png('Shodan_v2.png', 'Shodan', 0, 0),
    _png('Mega_Man.png', 'Mega Man', 0, 0),
    _png('Lumia_-_Weaver_of_the_Lucid_Loom.png', 'Lumia, Weaver of the Lucid Loom', 7, 0),
    _png('渚_汐风3.png', '渚 汐风', 11, 7),
    _png('魔都诡事.png', '魔都诡事', 1, 20),
    _png('宁昭川.png', '宁昭川', 1, 11),
    _png('Mio_Hanabishi.png', 'Mio Hanabishi', 3, 0, has_picture=False),  # its image data is cut off
    _png('Marcus_Veil.png', 'Marcus Veil', 0, 0),
    _png('茉莉文集配套正则.png', '《茉莉文集》配套正则', 0, 0),
    _png('Dr._Light.png', 'Dr. Light', 0, 0),
    _json('Example.json', 'Chiharu Yamada', 0, 0),
    _json('算命師.json', '墨知命', 2, 16),
    _json('test-card.json', 'Luna Starweaver', 2, 1),
    _json('Honkai_Star_Rail_RPG.json', 'Honkai: Star Rail RPG', 0, 81),
    _json('test-ccv3-jem.json', 'Jem', 0, 0),
    _json('Peer_der_Personaler.json', 'Peer der Personaler', 0, 0),
    _json('爱.json', '爱', 0, 27),
    CompatCard('community/charx/test_character.charx', 'Test Character', 2, 0, has_picture=True),
    CompatCard(SERAPHINA, 'Seraphina', 0, 4, has_picture=True),
)
MALFORMED = (
    MalformedCard('community/cards-png/Professor_Mari.png', 'error.card.lfs_pointer'),
    MalformedCard('community/cards-json/invalid_missing_name.json', 'error.card.no_name'),
)


def card(filename: str) -> CompatCard:
    return next(entry for entry in CARDS if entry.filename == filename)


def file_data(filename: str) -> bytes:
    """The content of a card or malformed card file, found by its file name."""
    return next(entry for entry in (*CARDS, *MALFORMED) if entry.filename == filename).data()


def every_card_file() -> set[str]:
    """The path of every file in the card folders (relative to the compat folder), to check none is left out."""
    found = {str(path.relative_to(COMPAT_DIR)) for folder in CARD_DIRS for path in (COMPAT_DIR / folder).iterdir()}
    return found | {SERAPHINA}
