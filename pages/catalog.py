"""Imports every page module so their `@page` declarations are recorded."""

from . import (  # noqa: F401
    admin,
    auth,
    character_editor,
    chat,
    chats,
    connections,
    library,
    lorebook_editor,
    lorebooks,
    migration,
    personas,
    presets,
    settings,
)
