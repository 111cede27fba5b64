"""The `prompt_messages` plugin hook applied to a built chat prompt (DESIGN §6, plugin spec "prompt").

Plugins get the final message list as the SDK's `PromptMessage`s and may return a changed list. Messages a plugin
left as they were keep the block they came from (so the prompt preview still names it); new or changed ones are
shown as the "plugins" block, and every block's token count is counted again. A prompt rendered as one text by a
context/instruct preset is not offered to the hook: the messages are gone by then (see docs/plugins.md).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from plugins.sdk.types import ChatInfo, PromptMessage

from ..providers.base import ChatMessage
from .chat_completion import BuiltPrompt, TokenCounter

if TYPE_CHECKING:
    from ...db.models import User
    from ...plugins.manager import PluginManager

PLUGIN_SOURCE = 'plugins'
ROLES = ('system', 'user', 'assistant')


async def apply_prompt_plugins(manager: PluginManager, owner: User, chat: ChatInfo, built: BuiltPrompt,
                               count_tokens: TokenCounter) -> BuiltPrompt:
    """`built` after every enabled `prompt_messages` implementation, in load order; unchanged when none changes it."""
    before = [PromptMessage(message.role, message.content, message.name) for message in built.messages]
    after = [item for item in await manager.pipe('prompt_messages', list(before), user=owner, chat=chat)
             if _is_message(item)]
    if after == before:
        return built
    return _rebuilt(built, after, count_tokens)


def _rebuilt(built: BuiltPrompt, messages: list[PromptMessage], count_tokens: TokenCounter) -> BuiltPrompt:
    unchanged: dict[PromptMessage, list[str]] = defaultdict(list)
    for message, source in zip(built.messages, built.sources, strict=True):
        unchanged[PromptMessage(message.role, message.content, message.name)].append(source)
    result = BuiltPrompt(messages=[], history_kept=built.history_kept, text=built.text, stop=built.stop)
    for message in messages:
        sources = unchanged.get(message)
        source = sources.pop(0) if sources else PLUGIN_SOURCE
        result.messages.append(ChatMessage(message.role, message.content, message.name))  # type: ignore[arg-type]
        result.sources.append(source)
        result.block_tokens[source] = result.block_tokens.get(source, 0) + count_tokens(message.content)
    return result


def _is_message(item: Any) -> bool:
    return isinstance(item, PromptMessage) and item.role in ROLES and isinstance(item.content, str)
