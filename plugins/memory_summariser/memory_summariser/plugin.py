"""Memory summariser: a running summary of each chat, written by the chat's own model, given to the model with every
reply as a system message right after the main prompt.

Once a reply is stored, when at least "every N messages" new messages are not in the summary yet, the summary is
brought up to date in the background (the reply is never held up). The `reply.finished` event says the reply is
stored but not who asked for it, so `reply_finished` (which runs just before, for the same chat) notes the chat and
its user for the event. The chat's side panel shows the summary and lets the user summarise at once or rewrite it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from pydantic import BaseModel, Field, field_validator

from plugins.sdk import ChatInfo, PluginContext, PromptMessage, SlotTarget, hookimpl

from .summaries import HISTORY_LIMIT, ChatSummary, lines_of, new_lines, summarise, summary_of

SIDEBAR_SLOT = 'chat.sidebar'
DEFAULT_INSTRUCTION = ('Summarise the role-play below in at most {words} words, in the language the story is written '
                       'in. Keep what matters later: events, decisions, promises, relationships, places, and threads '
                       'still open. Write in the past tense. Reply with the summary only.')
PENDING: set[asyncio.Task] = set()
"""Summaries being written in the background (awaited by tests, cancelled at shutdown)."""
_finishing: dict[str, tuple[ChatInfo, Any]] = {}


class Settings(BaseModel):
    instruction: str = Field(default=DEFAULT_INSTRUCTION, min_length=10, max_length=4000,
                             title='Summary instruction', description='What the model is asked; {words} is the length.')
    summary_words: int = Field(default=200, ge=30, le=2000, title='Summary length (words)')
    max_tokens: int = Field(default=600, ge=50, le=8000, title='Longest summary (tokens)')
    injection: str = Field(default='[Summary of the story so far: {summary}]', min_length=9, max_length=1000,
                           title='How the model is given the summary', description='{summary} is the summary.')

    @field_validator('instruction')
    @classmethod
    def _instruction_fills(cls, value: str) -> str:
        return _checked_template(value, 'words')

    @field_validator('injection')
    @classmethod
    def _injection_fills(cls, value: str) -> str:
        if '{summary}' not in value:
            raise ValueError('must contain {summary}')
        return _checked_template(value, 'summary')


class UserSettings(BaseModel):
    automatic: bool = Field(default=True, title='Summarise automatically',
                            description='Bring the summary up to date after replies.')
    every_messages: int = Field(default=20, ge=2, le=HISTORY_LIMIT, title='Summarise every … messages',
                                description='How many new messages it waits for before summarising again.')


@hookimpl
def register_tables(ctx: PluginContext) -> list[type]:
    return [ChatSummary]


@hookimpl
async def prompt_messages(ctx: PluginContext, messages: list[PromptMessage], chat: ChatInfo,
                          user: object) -> list[PromptMessage] | None:
    summary = await summary_of(ctx, user.id, chat.id)  # type: ignore[attr-defined]
    if summary is None or not summary.text:
        return None
    note = PromptMessage('system', ctx.settings().injection.format(summary=summary.text))
    after_main_prompt = 1 if messages and messages[0].role == 'system' else 0
    return [*messages[:after_main_prompt], note, *messages[after_main_prompt:]]


@hookimpl
async def reply_finished(ctx: PluginContext, chat: ChatInfo, user: object) -> None:
    if (await ctx.user_settings(user)).automatic:
        _finishing[chat.id] = (chat, user)


@hookimpl
def event(ctx: PluginContext, name: str, payload: dict) -> None:
    if name != 'reply.finished':
        return
    finishing = _finishing.pop(str(payload.get('chat_id')), None)
    if finishing is not None and payload.get('status') != 'error':
        in_background(summarise_if_due(ctx, finishing[1], finishing[0]))


def in_background(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    PENDING.add(task)
    task.add_done_callback(PENDING.discard)


@hookimpl
async def shutdown(ctx: PluginContext) -> None:
    for task in list(PENDING):
        task.cancel()
    await asyncio.gather(*PENDING, return_exceptions=True)


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> object:
    if slot != SIDEBAR_SLOT:
        return None

    async def build(target: SlotTarget) -> None:
        from .panel import summary_panel

        await summary_panel(ctx, target)

    return build


async def summarise_if_due(ctx: PluginContext, user: object, chat: ChatInfo) -> ChatSummary | None:
    """Summarise when enough messages are new since the summary; a failure is kept on the summary for the panel."""
    lines = lines_of(await ctx.services.chat_messages(user, chat.id, limit=HISTORY_LIMIT), chat.user_name)
    summary = await summary_of(ctx, user.id, chat.id)  # type: ignore[attr-defined]
    if len(new_lines(lines, summary)) < (await ctx.user_settings(user)).every_messages:
        return summary
    try:
        return await summarise(ctx, user, chat.id, lines)
    except Exception as error:  # kept on the summary for the panel; the chat goes on
        ctx.log.warning('summary of chat %s failed: %s', chat.id, error)
        return None


def _checked_template(value: str, name: str) -> str:
    try:
        value.format(**{name: ''})
    except (KeyError, IndexError, ValueError):
        raise ValueError(f'use {{{name}}} and no other {{…}} placeholders (write {{{{ and }}}} for braces)') from None
    return value
