"""The outcome of a migration: one line per item (imported, skipped as a duplicate, or failed with the reason),
counts per kind, and notes about what a SillyTavern folder holds that is not migrated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from ...errors import TavernError

ItemKind = Literal['character', 'chat', 'group_chat', 'lorebook', 'preset', 'persona', 'settings']
ItemStatus = Literal['imported', 'skipped', 'failed']
KINDS: tuple[ItemKind, ...] = ('character', 'chat', 'group_chat', 'lorebook', 'preset', 'persona', 'settings')


class Reason(BaseModel):
    """Why something failed or was only partly imported: an i18n `code`, its English `message` and `params`."""

    code: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, error: TavernError) -> Reason:
        return cls(code=error.code, message=error.message, params=dict(error.params))


class MigrationItem(BaseModel):
    """One file or entry of the SillyTavern folder. `source` is its path in the folder; `name` what it is called
    here (the character's name, the persona's name, the file name); `target_id` the row it became or duplicates.
    A failed item has a `reason`; an imported one may have one too, saying what was left out."""

    kind: ItemKind
    source: str
    name: str
    status: ItemStatus
    target_id: str | None = None
    reason: Reason | None = None


class KindCounts(BaseModel):
    imported: int = 0
    skipped: int = 0
    failed: int = 0


class MigrationReport(BaseModel):
    items: list[MigrationItem] = Field(default_factory=list)
    notes: list[Reason] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, KindCounts]:
        """Imported, skipped and failed items of each kind that occurs, in the order of `KINDS`."""
        counts = {kind: KindCounts() for kind in KINDS if any(item.kind == kind for item in self.items)}
        for item in self.items:
            kind_counts = counts[item.kind]
            setattr(kind_counts, item.status, getattr(kind_counts, item.status) + 1)
        return counts

    @property
    def failures(self) -> list[MigrationItem]:
        return [item for item in self.items if item.status == 'failed']
