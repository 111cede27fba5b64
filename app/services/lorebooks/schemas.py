"""What the lorebook service takes and returns: book fields, entry fields in SillyTavern's spelling, bulk edits,
import results and bindings.

Entry fields keep SillyTavern's camelCase names (`key`, `keysecondary`, `selectiveLogic`, ...) because that is the
shape of every world file users have; a PATCH sends only the fields it changes, and keys we do not know are kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...db.models import Lorebook
from ..world_info.entry import TRIGGERS

MAX_DESCRIPTION = 20_000
MAX_ENTRY_TEXT = 200_000
MAX_KEYS = 500
MAX_KEY_LENGTH = 1_000
MAX_BULK = 10_000
MAX_DEPTH = 1_000
LAST_POSITION = 7

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]
Key = Annotated[str, StringConstraints(max_length=MAX_KEY_LENGTH)]
Keys = Annotated[list[Key], Field(max_length=MAX_KEYS)]
EntryText = Annotated[str, StringConstraints(max_length=MAX_ENTRY_TEXT)]
ShortText = Annotated[str, StringConstraints(max_length=1_000)]
Position = Annotated[int, Field(ge=0, le=LAST_POSITION)]
Depth = Annotated[int, Field(ge=0, le=MAX_DEPTH)]
Percent = Annotated[int, Field(ge=0, le=100)]
Turns = Annotated[int, Field(ge=0, le=100_000)]
Trigger = Literal[TRIGGERS]  # type: ignore[valid-type]


class LorebookFields(BaseModel):
    name: Name
    description: Description = ''


class LorebookUpdate(BaseModel):
    """A partial edit: every field left as None stays unchanged."""

    name: Name | None = None
    description: Description | None = None


class LorebookRead(BaseModel):
    id: str
    name: str
    description: str
    entry_count: int
    is_global: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, book: Lorebook, entry_count: int, is_global: bool) -> LorebookRead:
        return cls(id=book.id, name=book.name, description=book.description, entry_count=entry_count,
                   is_global=is_global, created_at=book.created_at, updated_at=book.updated_at)


class EntryFields(BaseModel):
    """A lorebook entry in SillyTavern's spelling. On create, fields left out get SillyTavern's defaults; on update
    only the fields sent change. Unknown fields are stored and exported as they are."""

    model_config = ConfigDict(extra='allow')

    key: Keys = Field(default=[], description='Primary keywords; `/pattern/flags` is a regular expression.')
    keysecondary: Keys = Field(default=[], description='Secondary (filter) keywords.')
    comment: ShortText = Field(default='', description='Title or memo; never sent to the model.')
    content: EntryText = Field(default='', description='The text inserted into the prompt.')
    constant: bool = False
    vectorized: bool = False
    selective: bool = True
    selectiveLogic: int = Field(default=0, ge=0, le=3, description='AND ANY 0, NOT ALL 1, NOT ANY 2, AND ALL 3.')
    addMemo: bool = False
    order: int = Field(default=100, ge=-100_000, le=100_000)
    position: Position = Field(default=0, description='Before char 0, after char 1, AN top 2, AN bottom 3, '
                                                       '@depth 4, examples top 5, examples bottom 6, outlet 7.')
    disable: bool = False
    ignoreBudget: bool = False
    excludeRecursion: bool = False
    preventRecursion: bool = False
    delayUntilRecursion: Annotated[int, Field(ge=0, le=100)] | bool = 0
    matchPersonaDescription: bool = False
    matchCharacterDescription: bool = False
    matchCharacterPersonality: bool = False
    matchCharacterDepthPrompt: bool = False
    matchScenario: bool = False
    matchCreatorNotes: bool = False
    probability: Percent = 100
    useProbability: bool = True
    depth: Depth = 4
    outletName: ShortText = ''
    group: ShortText = ''
    groupOverride: bool = False
    groupWeight: Annotated[int, Field(ge=0, le=100_000)] = 100
    scanDepth: Depth | None = None
    caseSensitive: bool | None = None
    matchWholeWords: bool | None = None
    useGroupScoring: bool | None = None
    automationId: ShortText = ''
    role: int = Field(default=0, ge=0, le=2, description='For @depth: system 0, user 1, assistant 2.')
    sticky: Turns | None = None
    cooldown: Turns | None = None
    delay: Turns | None = None
    triggers: list[Trigger] = Field(default=[], description='Generation types that may activate the entry; empty '
                                                            'means all.')
    displayIndex: int | None = None
    characterFilter: dict[str, Any] | None = None
    extensions: dict[str, Any] = {}

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (unknown ones included), in SillyTavern's spelling."""
        return self.model_dump(exclude_unset=True)


class EntryRead(BaseModel):
    uid: int
    entry: dict[str, Any] = Field(description='The entry exactly as SillyTavern stores it in a world file.')


class BulkEdit(BaseModel):
    """One change for many entries of a book: `delete` them, or set every field given here (others stay)."""

    uids: Annotated[list[int], Field(min_length=1, max_length=MAX_BULK)]
    action: Literal['update', 'delete'] = 'update'
    disable: bool | None = None
    position: Position | None = None
    role: int | None = Field(default=None, ge=0, le=2)
    depth: Depth | None = None
    order: int | None = Field(default=None, ge=-100_000, le=100_000)
    probability: Percent | None = None
    group: ShortText | None = None

    def changes(self) -> dict[str, Any]:
        """The entry fields to set, in SillyTavern's spelling."""
        return self.model_dump(exclude={'uids', 'action'}, exclude_none=True)


class BulkResult(BaseModel):
    changed: int


ImportStatus = Literal['imported', 'failed']


class LorebookImportResult(BaseModel):
    """One file's outcome; on a failure `code`, `message` and `params` give the reason."""

    filename: str
    status: ImportStatus
    lorebook_id: str | None = None
    name: str | None = None
    entries: int = 0
    code: str | None = None
    message: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class LorebookImportReport(BaseModel):
    results: list[LorebookImportResult]
    imported: int
    failed: int

    @classmethod
    def of(cls, results: list[LorebookImportResult]) -> LorebookImportReport:
        imported = sum(result.status == 'imported' for result in results)
        return cls(results=results, imported=imported, failed=len(results) - imported)


BindingScope = Literal['global', 'character', 'chat', 'persona']


class BookList(BaseModel):
    lorebook_ids: Annotated[list[str], Field(max_length=1_000)]


class OneBook(BaseModel):
    lorebook_id: str | None = Field(description='The book to use, or null for none.')


class BindingsRead(BaseModel):
    """Which books apply where: globally, per character (the first is the primary book), per chat, per persona."""

    global_ids: list[str]
    characters: dict[str, list[str]]
    chats: dict[str, str]
    personas: dict[str, str]
