"""oobabooga (text-generation-webui) character YAML: `name`, `context` (the description), `greeting` and, in older
files, `example_dialogue`; any other key is kept at the top level of the card.

YAML aliases are refused: a few lines of them can expand into gigabytes once the card is turned into JSON.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ...errors import InvalidInputError
from .card_json import check_depth, not_a_card
from .normalize import card_from_flat

YAML_FIELDS = {'name': 'name', 'context': 'description', 'greeting': 'first_mes', 'example_dialogue': 'mes_example'}


def read_yaml_card(data: bytes) -> dict[str, Any]:
    """The canonical V3 card for an oobabooga character file."""
    try:
        text = data.decode('utf-8-sig')
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise InvalidInputError('error.card.yaml_aliases',
                                    'The YAML file uses aliases (*name), which character files never need.')
        value = json.loads(json.dumps(yaml.safe_load(text), default=str, allow_nan=False))
    except (UnicodeDecodeError, yaml.YAMLError, TypeError, ValueError, RecursionError):
        raise InvalidInputError('error.card.broken_yaml', 'The YAML file is damaged and cannot be read.') from None
    if not isinstance(value, dict) or 'name' not in value:
        raise not_a_card()
    check_depth(value)
    return card_from_flat(value, YAML_FIELDS)
