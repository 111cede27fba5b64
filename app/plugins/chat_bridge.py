"""What the app hands to plugin hooks about chats, and how it runs what plugins hand back.

`chat_info`/`message_info` turn the app's rows into the SDK's small frozen records, so no database object reaches
plugin code. `ReplyFilters` binds the streaming (`stream_delta`) and outlet (`reply_finished`) hooks to one reply.
`hook_items` flattens what a list-returning hook (commands, formats, links) gave, and `guarded` calls something a
plugin supplied (a slot builder, a command, an export) with the same isolation as a hook: a timeout, every exception
caught and recorded as the plugin's error, so the caller always carries on.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plugins.sdk.types import ChatInfo, MessageInfo

if TYPE_CHECKING:
    from ..db.models import Chat, Message, User
    from .manager import PluginManager

STREAM_HOOK_TIMEOUT = 0.2
"""Seconds one `stream_delta` implementation may take per piece of text (the reply waits for it)."""


def chat_info(chat: Chat, owner: User, character_name: str, user_name: str) -> ChatInfo:
    return ChatInfo(id=chat.id, user_id=owner.id, character_id=chat.character_id, character_name=character_name,
                    user_name=user_name, locale=owner.locale or 'en')


def message_info(message: Message) -> MessageInfo:
    return MessageInfo(id=message.id or 0, chat_id=message.chat_id, role=message.role, name=message.name,
                       seq=message.seq)


class ReplyFilters:
    """The `stream_delta` and `reply_finished` hooks of one reply; with `chat` None (no plugin implements them) the
    text passes through untouched without any call."""

    def __init__(self, manager: PluginManager, owner: User, chat: ChatInfo | None) -> None:
        self.manager = manager
        self.owner = owner
        self.chat = chat
        self.streaming = chat is not None and manager.has_impls('stream_delta')
        self.finishing = chat is not None and manager.has_impls('reply_finished')

    async def delta(self, text: str) -> str:
        if not self.streaming:
            return text
        return await self.manager.pipe('stream_delta', text, user=self.owner, timeout=STREAM_HOOK_TIMEOUT,
                                       chat=self.chat)

    async def finished(self, text: str) -> str:
        if not self.finishing:
            return text
        return await self.manager.pipe('reply_finished', text, user=self.owner, chat=self.chat)


async def hook_items(manager: PluginManager, hook: str, user: User | None = None,
                     **kwargs: Any) -> list[tuple[str, Any]]:
    """(plugin id, item) for every item the enabled plugins returned from a hook that returns a list (or one item)."""
    if not manager.has_impls(hook):
        return []
    return [(plugin_id, item) for plugin_id, result in await manager.call_each(hook, user=user, **kwargs)
            for item in (result if isinstance(result, list | tuple) else [result])]


async def guarded(manager: PluginManager, plugin_id: str, hook: str, call: Callable[..., Any], *args: Any,
                  timeout: float | None = None) -> tuple[bool, Any]:
    """Run `call(*args)` (sync or async) for the plugin: (True, result), or (False, None) after recording why not.

    An async call is awaited in the caller's own task (not wrapped in a new one), so UI builders create their elements
    where the caller opened its container."""
    limit = timeout if timeout is not None else manager.settings.plugin_hook_timeout_seconds
    try:
        result = call(*args)
        if inspect.isawaitable(result):
            async with asyncio.timeout(limit):
                result = await result
        return True, result
    except TimeoutError:
        await manager.record_error(plugin_id, hook, f'did not finish within {limit:g} s and was cancelled', '')
    except asyncio.CancelledError:
        raise
    except Exception as error:  # plugin code must never break the caller
        await manager.record_error(plugin_id, hook, f'{type(error).__name__}: {error}', traceback.format_exc())
    return False, None
