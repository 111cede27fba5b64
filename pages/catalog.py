"""Imports every page module so their `@page` declarations are recorded."""

from . import admin, auth, character_editor, chat, connections, library, personas, settings  # noqa: F401
