"""Imports every page module so their `@page` declarations are recorded."""

from . import auth, character_editor, library  # noqa: F401
