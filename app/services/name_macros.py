"""The two macros every card uses, for showing stored text: `{{char}}`/`{{user}}` and the legacy `<BOT>`/`<USER>`.

Prompts go through the full macro engine (`macros.py`); greetings and imported messages shown on a page or written
to a transcript only need the names filled in.
"""

from __future__ import annotations

import re

NAME_MACRO = re.compile(r'\{\{(char|user)\}\}|<(BOT|USER)>', re.IGNORECASE)


def substitute(text: str, char: str, user: str) -> str:
    """Replace `{{char}}`/`{{user}}` (any case) and the legacy `<BOT>`/`<USER>` markers."""
    return NAME_MACRO.sub(lambda match: char if (match.group(1) or match.group(2)).lower() in ('char', 'bot')
                          else user, text)
