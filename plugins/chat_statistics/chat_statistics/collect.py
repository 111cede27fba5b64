"""Reading a user's chats through the SDK and turning them into statistics.

A chat is read page by page from its newest message back. All of a user's chats together are read up to
`MAX_MESSAGES` messages (newest chats first) so a huge history cannot stall the page; the overview says when it
stopped early. The ranking of characters uses each chat's stored message count, which needs no reading at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plugins.sdk import ChatMessageView, PluginContext

if TYPE_CHECKING:
    from plugins.sdk import ChatView

from .counting import Stats, chat_stats

PAGE = 200
MAX_MESSAGES = 20_000
MAX_CHATS = 2_000


@dataclass(frozen=True)
class CharacterActivity:
    character_id: str
    name: str
    messages: int
    chats: int


@dataclass
class Overview:
    stats: Stats
    characters: list[CharacterActivity] = field(default_factory=list)
    complete: bool = True


async def read_chat(ctx: PluginContext, user: Any, chat_id: str, budget: int = MAX_MESSAGES
                    ) -> tuple[list[ChatMessageView], bool]:
    """The chat's messages, oldest first, at most about `budget`; and whether that is all of them."""
    pages: list[list[ChatMessageView]] = []
    before: int | None = None
    read = 0
    while read < budget:
        page = await ctx.services.chat_messages(user, chat_id, limit=PAGE, before_seq=before)
        if page:
            pages.append(page)
            read += len(page)
        if len(page) < PAGE:
            return [message for chunk in reversed(pages) for message in chunk], True
        before = page[0].seq
    return [message for chunk in reversed(pages) for message in chunk], False


async def chat_statistics(ctx: PluginContext, user: Any, chat_id: str, names: dict[str, str]) -> tuple[Stats, bool]:
    messages, complete = await read_chat(ctx, user, chat_id)
    return chat_stats(chat_id, messages, names), complete


async def overview(ctx: PluginContext, user: Any, user_name: str) -> Overview:
    """Every chat of the user merged, and their characters ranked by messages."""
    chats = await _all_chats(ctx, user)
    names = await _character_names(ctx, user)
    result = Overview(Stats())
    budget = MAX_MESSAGES
    for chat in chats:
        if budget <= 0:
            result.complete = False
            break
        messages, complete = await read_chat(ctx, user, chat.id, budget)
        budget -= len(messages)
        result.complete = result.complete and complete
        result.stats.merge(chat_stats(chat.id, messages, {'assistant': names.get(chat.character_id, '?'),
                                                          'user': user_name}))
    result.characters = _ranked(chats, names)
    return result


async def _all_chats(ctx: PluginContext, user: Any) -> list[ChatView]:
    chats: list[ChatView] = []
    while len(chats) < MAX_CHATS:
        page = await ctx.services.chats(user, limit=PAGE, offset=len(chats))
        chats += page
        if len(page) < PAGE:
            break
    return chats


async def _character_names(ctx: PluginContext, user: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    while True:
        page = await ctx.services.characters(user, limit=PAGE, offset=len(names))
        names.update((character.id, character.name) for character in page)
        if len(page) < PAGE:
            return names


def _ranked(chats: list[ChatView], names: dict[str, str]) -> list[CharacterActivity]:
    messages: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for chat in chats:
        messages[chat.character_id] += chat.message_count
        counts[chat.character_id] += 1
    return [CharacterActivity(character_id, names.get(character_id, '?'), total, counts[character_id])
            for character_id, total in sorted(messages.items(), key=lambda item: (-item[1], names.get(item[0], '')))]
