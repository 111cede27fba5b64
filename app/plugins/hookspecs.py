"""Every hook a plugin can implement (pluggy hook specifications).

The host never calls these through pluggy: `PluginManager` iterates the implementations itself so each one runs
isolated (enabled check, timeout, error capture). Every hook may be sync or async; each receives `ctx`, the
plugin's own `PluginContext`, plus the keyword arguments named here (an implementation may accept fewer).
`user` is the signed-in `User` the call is made for, or None when there is none (start-up, CLI, background).
For hooks that transform a value (`PluginManager.pipe`), the value is the first argument after `ctx`.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT_NAME = 'tavernai_plus'
ENTRY_POINT_GROUP = 'tavernai_plus.plugins'

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

SLOTS: tuple[str, ...] = ('chat.input.toolbar', 'chat.message.actions', 'chat.sidebar', 'character.page.actions',
                          'home.sections', 'creator.dashboard.widgets')
SETTINGS_SLOT_PREFIX = 'settings.plugins.'
EVENTS: tuple[str, ...] = ('message.created', 'reply.finished', 'chat.created', 'character.created',
                           'user.registered')


# Lifecycle
@hookspec
def startup(ctx: Any) -> None:
    """The plugin was loaded (at server start or right after an install)."""


@hookspec
def shutdown(ctx: Any) -> None:
    """The server is stopping."""


@hookspec
def on_install(ctx: Any) -> None:
    """The plugin was just installed (before `startup`)."""


@hookspec
def on_upgrade(ctx: Any, from_version: str) -> None:
    """The plugin replaced an older version."""


@hookspec
def on_enable(ctx: Any, user: Any) -> None:
    """Turned on globally (`user` None) or by one user."""


@hookspec
def on_disable(ctx: Any, user: Any) -> None:
    """Turned off globally (`user` None) or by one user."""


@hookspec
def on_uninstall(ctx: Any) -> None:
    """The plugin is being removed."""


# Extensions loaded once
@hookspec
def register_tables(ctx: Any) -> Any:
    """SQLModel table classes to create; their names must start with `plg_<id>_`."""


@hookspec
def register_routes(ctx: Any) -> Any:
    """FastAPI routers, mounted under `/api/plugins/<id>`."""


@hookspec
def register_pages(ctx: Any) -> Any:
    """`{'/': builder, '/stats': builder}`: pages under `/p/<id>/`; `async builder(page: PluginPage)`."""


@hookspec
def slash_commands(ctx: Any, user: Any) -> Any:
    """`list[SlashCommand]` typed as `/name args` in the chat input (asked per user: `user` is the one typing)."""


@hookspec
def llm_providers(ctx: Any) -> Any:
    """`list[ProviderKindSpec]`: extra connection kinds."""


@hookspec
def import_formats(ctx: Any, user: Any) -> Any:
    """`list[ImportFormat]`: extra chat/character import formats (asked per user)."""


@hookspec
def export_formats(ctx: Any, user: Any) -> Any:
    """`list[ExportFormat]`: extra chat export formats (asked per user: `user` owns the chat)."""


@hookspec
def cli_commands(ctx: Any) -> Any:
    """`list[CliCommand]`: extra `tavern` sub-commands."""


# UI
@hookspec
def ui_slot(ctx: Any, slot: str, target: Any, user: Any) -> Any:
    """Builders for a named slot: a `SlotBuilder`, a list of them, or None; each is called as `builder(target)`."""


@hookspec
def menu_links(ctx: Any, user: Any) -> Any:
    """`list[MenuLink]`: extra navigation entries for this user."""


# Chat processing (transform hooks: return None to leave the value unchanged)
@hookspec
def prompt_messages(ctx: Any, messages: Any, chat: Any, user: Any) -> Any:
    """The final prompt messages of a reply (`list[PromptMessage]`)."""


@hookspec
def stream_delta(ctx: Any, text: str, chat: Any, user: Any) -> Any:
    """One streamed piece of a reply, before it is stored or shown; must be fast."""


@hookspec
def reply_finished(ctx: Any, text: str, chat: Any, user: Any) -> Any:
    """The whole reply text, before it is stored."""


@hookspec
def message_submitted(ctx: Any, text: str, chat: Any, user: Any) -> Any:
    """The user's message before it is stored; return '' to swallow it."""


@hookspec
def render_message(ctx: Any, text: str, message: Any, user: Any) -> Any:
    """Display-only transform of a message's markdown."""


# Events (fire and forget)
@hookspec
def event(ctx: Any, name: str, payload: dict, user: Any) -> None:
    """Something happened: one of `EVENTS`, with a small JSON-like payload."""
