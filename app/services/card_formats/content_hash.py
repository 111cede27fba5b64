"""The content hash of a card: how the library recognises a card it already holds when the same file comes again.

It is the sha256 of the canonical JSON of the card's `data` (keys sorted, no spaces, UTF-8) without the creation and
modification dates, which differ between two imports of the same file; the envelope and SillyTavern's top-level
mirror fields are left out because exports rewrite them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

VOLATILE_FIELDS = frozenset({'creation_date', 'modification_date'})


def content_hash(card: dict[str, Any]) -> str:
    data = card.get('data') if isinstance(card.get('data'), dict) else {}
    content = {key: value for key, value in data.items() if key not in VOLATILE_FIELDS}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(',', ':'))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()
