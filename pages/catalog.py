"""Imports every page module so their `@page` declarations are recorded."""

from . import auth, library  # noqa: F401
