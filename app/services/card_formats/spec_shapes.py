"""Our V3 card document in the shape other apps read: V2 or V3 envelope with SillyTavern's V1 mirror fields.

Like SillyTavern, both shapes carry the whole `data` object (V3-only fields included, so nothing is lost) and repeat
the main fields at the top level for V1 readers; they differ only in `spec` and `spec_version`.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

CardSpec = Literal['v2', 'v3']
SPECS: dict[str, tuple[str, str]] = {'v2': ('chara_card_v2', '2.0'), 'v3': ('chara_card_v3', '3.0')}
V1_MIRRORS = (('name', 'name'), ('description', 'description'), ('personality', 'personality'),
              ('scenario', 'scenario'), ('first_mes', 'first_mes'), ('mes_example', 'mes_example'),
              ('creatorcomment', 'creator_notes'), ('tags', 'tags'))


def as_spec(card: dict[str, Any], spec: CardSpec) -> dict[str, Any]:
    """A deep copy of `card` labelled as `spec`, with the V1 mirror fields refreshed from `data`."""
    data = copy.deepcopy(card.get('data') if isinstance(card.get('data'), dict) else {})
    top = {key: copy.deepcopy(value) for key, value in card.items() if key not in ('spec', 'spec_version', 'data')}
    mirrors = {top_key: copy.deepcopy(data[field]) for top_key, field in V1_MIRRORS if field in data}
    name, version = SPECS[spec]
    return {**top, **mirrors, 'spec': name, 'spec_version': version, 'data': data}
