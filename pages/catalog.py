"""Imports every page module so their `@page` declarations are recorded."""

from . import (  # noqa: F401
    admin,
    auth,
    character_editor,
    chat,
    chats,
    connections,
    creator,
    library,
    lorebook_editor,
    lorebooks,
    marketplace,
    migration,
    personas,
    plugins,
    presets,
    settings,
)
