"""A SillyTavern chat header ⇄ our `chat.meta`.

`chat.meta['chat_metadata']` keeps SillyTavern's `chat_metadata` verbatim (Author's Note, variables, integrity slug,
extension state) and `chat.meta['header']` every other header field as it was (`user_name`, `character_name`,
`create_date`, unknown keys), so exporting writes the header back unchanged. `chat.meta['source']` records where an
imported chat came from: the file name and its format (`sillytavern`, `chub`, `cai_tools`, `oobabooga`, `agnai`,
`kobold_lite` or `risuai`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...db.models import Chat
from .dates import format_create_date, parse_st_date

METADATA_KEY = 'chat_metadata'


def chat_meta(header: dict[str, Any] | None, *, filename: str, group: bool,
              source_format: str = 'sillytavern') -> dict[str, Any]:
    """What an imported file's header (None for a headerless file) leaves in `chat.meta`."""
    metadata = (header or {}).get(METADATA_KEY)
    meta: dict[str, Any] = {METADATA_KEY: metadata if isinstance(metadata, dict) else {},
                            'source': {'format': source_format, 'filename': filename, 'group': group}}
    if header is not None:
        meta['header'] = {key: value for key, value in header.items() if key != METADATA_KEY}
    return meta


def header_of(chat: Chat, *, user_name: str, character_name: str) -> dict[str, Any]:
    """The header line for a chat: the imported header where there was one, our names and dates elsewhere."""
    meta = chat.meta or {}
    header: dict[str, Any] = {'user_name': user_name, 'character_name': character_name,
                              'create_date': format_create_date(chat.created_at)}
    header.update(meta.get('header') or {})
    header[METADATA_KEY] = meta.get(METADATA_KEY) or {}
    return header


def created_at(header: dict[str, Any] | None) -> datetime | None:
    """When the chat was started, from the header's `create_date`, if it is there and readable."""
    return parse_st_date((header or {}).get('create_date'))
