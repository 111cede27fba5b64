"""Between `WorldEntry` and its database row: the row keeps the SillyTavern object plus the columns listing and
search use, and edits arrive as SillyTavern-spelled fields that go through `WorldEntry`'s readers."""

from __future__ import annotations

import copy
from typing import Any

from ...db.models import LorebookEntry
from ..world_info.entry import FIELDS_BY_ST_KEY, WorldEntry

KEY_SEPARATOR = ', '


def entry_of(row: LorebookEntry) -> WorldEntry:
    return WorldEntry.from_st(row.data)


def new_row(lorebook_id: str, entry: WorldEntry, display_index: int) -> LorebookEntry:
    row = LorebookEntry(lorebook_id=lorebook_id, uid=entry.uid, display_index=display_index)
    store(row, entry)
    return row


def store(row: LorebookEntry, entry: WorldEntry) -> None:
    """Write the entry into the row: its SillyTavern object and the columns derived from it."""
    row.data = entry.to_st()
    row.comment = entry.comment
    row.keys_text = KEY_SEPARATOR.join([*entry.key, *entry.secondary_keys])
    row.position = entry.position
    row.sort_order = entry.order
    row.disabled = entry.disable
    if entry.display_index is not None:
        row.display_index = entry.display_index


def apply_changes(entry: WorldEntry, changes: dict[str, Any]) -> None:
    """Set the SillyTavern-spelled fields in `changes` on the entry; the uid never changes, unknown keys are kept."""
    for key, value in changes.items():
        spec = FIELDS_BY_ST_KEY.get(key)
        if spec is None:
            entry.extra[key] = copy.deepcopy(value)
        elif spec.attr != 'uid':
            setattr(entry, spec.attr, spec.read(value, spec.default))
