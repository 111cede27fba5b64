"""The data a plugin's hooks receive and return. Plain frozen dataclasses: no app internals leak through them, so
the host can change while plugins keep working."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


def _nothing() -> None:
    return None


def _no_input(text: str) -> None:
    return None


async def _no_send(text: str) -> bool:
    return False


@dataclass(frozen=True)
class PromptMessage:
    """One message of the prompt sent to the model (`role` is 'system', 'user' or 'assistant')."""

    role: str
    content: str
    name: str = ''


@dataclass(frozen=True)
class ChatInfo:
    """The chat a hook runs for."""

    id: str
    user_id: str
    character_id: str
    character_name: str
    user_name: str
    locale: str = 'en'


@dataclass(frozen=True)
class MessageInfo:
    """A stored chat message (for display hooks and message actions)."""

    id: int
    chat_id: str
    role: str
    name: str
    seq: int


@dataclass(frozen=True)
class SlotTarget:
    """Where a UI slot is rendered: which slot, for whom, and about what. `refresh()` redraws the slot. In
    `chat.input.toolbar`, `fill_input(text)` puts `text` into the chat's message input, and `await send_input(text)`
    sends it as if the user typed it and pressed send (slash commands included), returning True; elsewhere they do
    nothing (`send_input` returns False)."""

    slot: str
    user: Any
    locale: str
    chat_id: str | None = None
    character_id: str | None = None
    message: MessageInfo | None = None
    refresh: Callable[[], Any] = _nothing
    fill_input: Callable[[str], Any] = _no_input
    send_input: Callable[[str], Awaitable[bool]] = _no_send


SlotBuilder = Callable[[SlotTarget], Any]


@dataclass(frozen=True)
class CommandCall:
    """A slash command typed in the chat input: `/name args`."""

    args: str
    chat: ChatInfo
    user: Any


@dataclass(frozen=True)
class CommandResult:
    """What a command did: `send` is sent as the user's message, `system_note` is added as a hidden system
    message, `notify` is shown as a toast. All optional."""

    send: str | None = None
    system_note: str | None = None
    notify: str | None = None


@dataclass(frozen=True)
class SlashCommand:
    name: str
    description: str
    run: Callable[[CommandCall], Awaitable[CommandResult]]


@dataclass(frozen=True)
class MenuLink:
    """An extra navigation entry."""

    href: str
    label: str
    icon: str = 'extension'


@dataclass(frozen=True)
class PluginPage:
    """What a plugin page builder gets: the sub-path under `/p/<id>`, the signed-in user, locale and query."""

    path: str
    user: Any
    locale: str
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportedMessage:
    seq: int
    role: str
    name: str
    content: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class ChatExportInput:
    """A whole chat handed to an export format."""

    chat: ChatInfo
    title: str
    messages: list[ExportedMessage]


@dataclass(frozen=True)
class ExportFormat:
    """A chat export format listed in the chat export menu."""

    id: str
    label: str
    media_type: str
    extension: str
    export: Callable[[ChatExportInput], Awaitable[bytes]]


@dataclass(frozen=True)
class ImportFormat:
    """Converts a foreign file into one the app already imports: for kind 'chat', SillyTavern chat JSONL bytes; for
    kind 'character', character card JSON bytes (V2 or V3)."""

    id: str
    label: str
    extensions: tuple[str, ...]
    kind: Literal['chat', 'character']
    convert: Callable[[bytes, str], Awaitable[bytes]]


@dataclass(frozen=True)
class CliCommand:
    """A `tavern <name>` sub-command; `run` may be sync or async and returns an exit code (None = 0)."""

    name: str
    help: str
    run: Callable[[Namespace], Any]
    add_arguments: Callable[[ArgumentParser], None] | None = None
