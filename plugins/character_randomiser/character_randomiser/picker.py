"""Choosing a character at random from the user's library.

`rng` is the plugin's one random generator; tests seed it (`picker.rng.seed(7)`) to make every pick predictable.
A pick avoids the character shown just before when there is another one to show, so "Another" always changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from plugins.sdk import PluginContext

if TYPE_CHECKING:
    from plugins.sdk import CharacterView

PAGE = 200
MAX_CHARACTERS = 5000

rng = random.Random()


async def library(ctx: PluginContext, user: Any, *, tag: str = '', favorites_only: bool = False
                  ) -> list[CharacterView]:
    """The user's characters (with `tag` when given; favourites only when asked), up to `MAX_CHARACTERS`."""
    found: list[CharacterView] = []
    while len(found) < MAX_CHARACTERS:
        page = await ctx.services.characters(user, tag=tag, limit=PAGE, offset=len(found))
        found += page
        if len(page) < PAGE:
            break
    return [character for character in found if character.favorite or not favorites_only]


def pick(characters: list[CharacterView], avoid: str | None = None) -> CharacterView | None:
    """A random character, not the one with id `avoid` unless it is the only one."""
    choices = [character for character in characters if character.id != avoid] or characters
    return rng.choice(choices) if choices else None
