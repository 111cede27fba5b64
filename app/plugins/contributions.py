"""What plugins add to the app's lists: connection kinds, chat import and export formats, slash commands and
`tavern` sub-commands.

Connection kinds are merged into the kinds table when a plugin loads (the table is read in many synchronous places);
everything else is asked for when it is needed, for the user at hand, so a plugin switched off (for everyone or for
that user) adds nothing. An item of the wrong type, or a name another plugin (or the app) already uses, is left out
and recorded as the plugin's error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from plugins.sdk.types import CliCommand, ExportFormat, ImportFormat, SlashCommand

from ..services.providers.kinds import ProviderKind, add_provider_kind
from .chat_bridge import hook_items

if TYPE_CHECKING:
    from ..db.models import User
    from .manager import LoadedPlugin, PluginManager

Item = TypeVar('Item')
_kind_owners: dict[str, str] = {}
_registering: set[asyncio.Task] = set()


def connect_plugin_contributions(manager: PluginManager) -> None:
    """Merge each plugin's connection kinds into the kinds table as it loads (at start-up or after an install)."""
    def loaded(plugin: LoadedPlugin) -> None:
        task = asyncio.get_running_loop().create_task(register_provider_kinds(manager, plugin))
        _registering.add(task)
        task.add_done_callback(_registering.discard)

    manager.on_load(loaded)


async def register_provider_kinds(manager: PluginManager, plugin: LoadedPlugin) -> list[str]:
    """Add the plugin's `llm_providers` kinds; returns the ids added. They stay until the server restarts."""
    added = []
    for result in await manager.call_one(plugin, 'llm_providers'):
        for kind in result if isinstance(result, list | tuple) else [result]:
            if not isinstance(kind, ProviderKind):
                await _wrong_type(manager, plugin.id, 'llm_providers', kind, 'ProviderKindSpec')
            elif add_provider_kind(kind, replace=_kind_owners.get(kind.id) == plugin.id):
                _kind_owners[kind.id] = plugin.id
                added.append(kind.id)
            else:
                await manager.record_error(plugin.id, 'llm_providers',
                                           f'the connection kind id "{kind.id}" is already taken', '')
    return added


async def export_formats(manager: PluginManager, user: User,
                         taken: tuple[str, ...]) -> dict[str, tuple[str, ExportFormat]]:
    """The enabled plugins' chat export formats by id, as (plugin id, format); ids in `taken` are the app's own."""
    return await _named(manager, 'export_formats', ExportFormat, user, taken, lambda item: item.id)


async def import_formats(manager: PluginManager, user: User, kind: str) -> list[tuple[str, ImportFormat]]:
    """The enabled plugins' import formats for `kind` ('chat' or 'character'), in load order."""
    return [(plugin_id, item) for plugin_id, item in await _typed(manager, 'import_formats', ImportFormat, user)
            if item.kind == kind]


async def slash_commands(manager: PluginManager, user: User,
                         taken: tuple[str, ...]) -> dict[str, tuple[str, SlashCommand]]:
    """The enabled plugins' chat commands by lower-case name, as (plugin id, command)."""
    return await _named(manager, 'slash_commands', SlashCommand, user, taken, lambda item: item.name.lower())


async def cli_commands(manager: PluginManager, taken: tuple[str, ...]) -> dict[str, tuple[str, CliCommand]]:
    """The enabled plugins' `tavern` sub-commands by name, as (plugin id, command)."""
    return await _named(manager, 'cli_commands', CliCommand, None, taken, lambda item: item.name)


async def _named(manager: PluginManager, hook: str, kind: type[Item], user: User | None, taken: tuple[str, ...],
                 name_of: Any) -> dict[str, tuple[str, Item]]:
    named: dict[str, tuple[str, Item]] = {}
    for plugin_id, item in await _typed(manager, hook, kind, user):
        name = name_of(item)
        if name in taken or name in named:
            await manager.record_error(plugin_id, hook, f'the name "{name}" is already taken; it was left out', '')
        else:
            named[name] = (plugin_id, item)
    return named


async def _typed(manager: PluginManager, hook: str, kind: type[Item], user: User | None) -> list[tuple[str, Item]]:
    items = []
    for plugin_id, item in await hook_items(manager, hook, user):
        if isinstance(item, kind):
            items.append((plugin_id, item))
        else:
            await _wrong_type(manager, plugin_id, hook, item, kind.__name__)
    return items


async def _wrong_type(manager: PluginManager, plugin_id: str, hook: str, item: Any, expected: str) -> None:
    await manager.record_error(plugin_id, hook, f'returned {type(item).__name__} instead of {expected}; it was left '
                               'out', '')
