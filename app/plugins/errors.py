"""The plugin platform's user-facing errors; every code is an `error.plugins.*` key of the i18n tables."""

from __future__ import annotations

from typing import Any

from ..errors import ConflictError, InvalidInputError, NotFoundError


class PluginRefusedError(InvalidInputError):
    """A plugin (wheel, manifest or version) was refused; the message names the problem."""


class PluginNotFoundError(NotFoundError):
    """No installed plugin has this id."""

    def __init__(self, plugin_id: str) -> None:
        super().__init__('error.plugins.not_found', f'No plugin "{plugin_id}" is installed.', plugin_id=plugin_id)


class PluginStateError(ConflictError):
    """The request does not fit the plugin's state (for example uninstalling a plugin the environment provides)."""


def refused(code: str, message: str, **params: Any) -> PluginRefusedError:
    """Shorthand used by the installer and manifest readers: `raise refused('error.plugins.x', '...')`."""
    return PluginRefusedError(f'error.plugins.{code}', message, **params)
