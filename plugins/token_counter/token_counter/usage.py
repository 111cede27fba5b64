"""Summing the token counts the app stores with every generated reply (`prompt_tokens`, `completion_tokens` and
`model` in the message's meta) per model, for one chat or per month over all the user's chats, and pricing them.

Only replies carry counts: greetings, the user's messages and replies imported from elsewhere have none and are not
counted. A reply is counted once, as it stands: swipes that were replaced are no longer stored with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk import ChatMessageView, PluginContext

from .prices import PriceTable

PAGE = 200
MAX_MESSAGES = 50_000
MAX_CHATS = 5_000
UNKNOWN_MODEL = ''


@dataclass
class ModelUsage:
    model: str
    replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Usage:
    models: dict[str, ModelUsage] = field(default_factory=dict)

    @property
    def replies(self) -> int:
        return sum(item.replies for item in self.models.values())

    @property
    def prompt_tokens(self) -> int:
        return sum(item.prompt_tokens for item in self.models.values())

    @property
    def completion_tokens(self) -> int:
        return sum(item.completion_tokens for item in self.models.values())

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, message: ChatMessageView) -> bool:
        """Count the message when it is a reply with token counts; whether it was one."""
        counts = reply_counts(message)
        if counts is None:
            return False
        model, prompt, completion = counts
        item = self.models.setdefault(model, ModelUsage(model))
        item.replies += 1
        item.prompt_tokens += prompt
        item.completion_tokens += completion
        return True

    def merge(self, other: Usage) -> None:
        for theirs in other.models.values():
            mine = self.models.setdefault(theirs.model, ModelUsage(theirs.model))
            mine.replies += theirs.replies
            mine.prompt_tokens += theirs.prompt_tokens
            mine.completion_tokens += theirs.completion_tokens

    def cost(self, table: PriceTable) -> tuple[float, list[str]]:
        """The estimated cost of the priced models, and the models without a price."""
        total, unpriced = 0.0, []
        for item in sorted(self.models.values(), key=lambda usage: usage.model):
            price = table.price_for(item.model) if item.model else None
            if price is None:
                unpriced.append(item.model)
            else:
                total += price.cost(item.prompt_tokens, item.completion_tokens)
        return total, unpriced


def reply_counts(message: ChatMessageView) -> tuple[str, int, int] | None:
    """(model, prompt tokens, completion tokens) of a generated reply, or None."""
    if message.role != 'assistant':
        return None
    prompt, completion = message.meta.get('prompt_tokens'), message.meta.get('completion_tokens')
    if not _count(prompt) or not _count(completion):
        return None
    model = message.meta.get('model')
    return (model if isinstance(model, str) else UNKNOWN_MODEL), prompt, completion


async def chat_usage(ctx: PluginContext, user: Any, chat_id: str) -> Usage:
    usage = Usage()
    for message in await _read_chat(ctx, user, chat_id, MAX_MESSAGES):
        usage.add(message)
    return usage


async def monthly_usage(ctx: PluginContext, user: Any) -> tuple[dict[str, Usage], bool]:
    """Usage per month (`YYYY-MM`, UTC, newest first) over all the user's chats, and whether every message was
    read (at most `MAX_MESSAGES`)."""
    months: dict[str, Usage] = defaultdict(Usage)
    budget = MAX_MESSAGES
    complete = True
    for chat_id in await _chat_ids(ctx, user):
        if budget <= 0:
            complete = False
            break
        messages = await _read_chat(ctx, user, chat_id, budget)
        budget -= len(messages)
        for message in messages:
            if message.created_at is not None:
                months[f'{message.created_at:%Y-%m}'].add(message)
    return {month: months[month] for month in sorted(months, reverse=True) if months[month].replies}, complete


async def _read_chat(ctx: PluginContext, user: Any, chat_id: str, budget: int) -> list[ChatMessageView]:
    messages: list[ChatMessageView] = []
    before: int | None = None
    while len(messages) < budget:
        page = await ctx.services.chat_messages(user, chat_id, limit=PAGE, before_seq=before)
        messages = page + messages
        if len(page) < PAGE:
            break
        before = page[0].seq
    return messages


async def _chat_ids(ctx: PluginContext, user: Any) -> list[str]:
    ids: list[str] = []
    while len(ids) < MAX_CHATS:
        page = await ctx.services.chats(user, limit=PAGE, offset=len(ids))
        ids += [chat.id for chat in page]
        if len(page) < PAGE:
            break
    return ids


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
