"""Chat summaries: the plugin's table (one summary per chat) and writing a summary with the chat's own model.

A summary is incremental: the model gets the previous summary and only the messages after the last one it covers,
and returns the new summary, which then covers up to the newest of those messages. Only user and character messages
with text count (not command notes, not a reply still being written).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import sqlmodel
from sqlmodel.ext.asyncio.session import AsyncSession

from plugins.sdk import ChatMessageView, PluginContext

HISTORY_ROLES = ('user', 'assistant')
HISTORY_LIMIT = 200
"""The newest messages read for a summary (the most the app hands out at once)."""
NO_MESSAGE = -1


class ChatSummary(sqlmodel.SQLModel, table=True):
    __tablename__ = 'plg_memory_summariser_summary'

    chat_id: str = sqlmodel.Field(primary_key=True, max_length=64)
    user_id: str = sqlmodel.Field(index=True, max_length=64)
    text: str = ''
    covered_seq: int = NO_MESSAGE
    edited: bool = False
    last_error: str = ''


@dataclass(frozen=True)
class Line:
    """One message as the summary prompt shows it."""

    seq: int
    speaker: str
    text: str


_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
"""One summary per chat at a time; a chat's lock lives only while a summary of it is being written."""


async def summary_of(ctx: PluginContext, user_id: str, chat_id: str) -> ChatSummary | None:
    async with ctx.db_session() as session:
        row = await session.get(ChatSummary, chat_id)
    return row if row is not None and row.user_id == user_id else None


async def save_text(ctx: PluginContext, user_id: str, chat_id: str, text: str) -> ChatSummary | None:
    """The user's own wording of the summary (it keeps covering the same messages); empty text forgets it."""
    row = await summary_of(ctx, user_id, chat_id)
    async with ctx.db_session() as session:
        if not text.strip():
            if row is not None:
                await session.delete(row)
                await session.commit()
            return None
        row = row or ChatSummary(chat_id=chat_id, user_id=user_id)
        row.text, row.edited, row.last_error = text.strip(), True, ''
        return await _store(session, row)


def lines_of(messages: list[ChatMessageView], user_name: str = '') -> list[Line]:
    """The messages that belong in a summary, each with its speaker's name."""
    lines = []
    for message in messages:
        if message.role in HISTORY_ROLES and message.content.strip():
            speaker = message.name or (user_name if message.role == 'user' else '') or message.role.capitalize()
            lines.append(Line(message.seq, speaker, message.content.strip()))
    return lines


def new_lines(lines: list[Line], summary: ChatSummary | None) -> list[Line]:
    covered = summary.covered_seq if summary else NO_MESSAGE
    return [line for line in lines if line.seq > covered]


def summary_prompt(instruction: str, previous: str, lines: list[Line]) -> str:
    parts = [instruction.strip()]
    if previous.strip():
        parts.append('Summary so far:\n' + previous.strip())
    parts.append('New messages:\n' + '\n\n'.join(f'{line.speaker}: {line.text}' for line in lines))
    return '\n\n'.join(parts)


async def summarise(ctx: PluginContext, user: object, chat_id: str, lines: list[Line]) -> ChatSummary | None:
    """Write the summary of `lines` (the chat's messages, oldest first) with the chat's model, unless nothing is new;
    one summary per chat at a time. A failing model raises, and its reason is kept on the summary."""
    lock = _locks.setdefault(chat_id, asyncio.Lock())
    async with lock:
        user_id: str = user.id  # type: ignore[attr-defined]
        row = await summary_of(ctx, user_id, chat_id)
        fresh = new_lines(lines, row)
        if not fresh:
            return row
        settings = ctx.settings()
        prompt = summary_prompt(settings.instruction.format(words=settings.summary_words), row.text if row else '',
                                fresh)
        row = row or ChatSummary(chat_id=chat_id, user_id=user_id)
        try:
            text = await ctx.services.generate(user, chat_id, prompt, max_tokens=settings.max_tokens)
        except Exception as error:  # the model's failure is shown on the panel and the summary kept as it was
            await _remember_error(ctx, row, f'{type(error).__name__}: {error}')
            raise
        if not text:
            await _remember_error(ctx, row, 'the model returned no text')
            return row
        row.text, row.covered_seq, row.edited, row.last_error = text, fresh[-1].seq, False, ''
        async with ctx.db_session() as session:
            return await _store(session, row)


async def _remember_error(ctx: PluginContext, row: ChatSummary, reason: str) -> None:
    row.last_error = reason[:500]
    async with ctx.db_session() as session:
        await _store(session, row)


async def _store(session: AsyncSession, row: ChatSummary) -> ChatSummary:
    merged = await session.merge(row)
    await session.commit()
    await session.refresh(merged)
    return merged
