"""Regex scripts: SillyTavern-compatible find/replace scripts, each user's own.

Where a script runs follows SillyTavern: a script with neither "only" flag changes the stored text — the user's
message as it is sent (`message_submitted`, placement 1) or the character's reply as it is stored (`reply_finished`,
placement 2); a `markdown_only` script changes only how a message is shown (`render_message`; user messages are
placement 1, replies 2, command notes 3); a `prompt_only` script changes only what the model is sent
(`prompt_messages`, with the message's depth counted from the newest message, 0). Scripts imported from a character
card run only in chats with that character.

The display hook gets no chat names, so the names of each chat are remembered (in the plugin's key-value store) when
a message is sent or a reply is prompted there; until then only scripts for every chat run on its display.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

from pydantic import BaseModel, Field

from plugins.sdk import ChatInfo, MessageInfo, PluginContext, PluginPage, PromptMessage, SlotTarget, hookimpl

from .engine import Names, Where, applies, run_all
from .models import AI_OUTPUT, SLASH_COMMAND, USER_INPUT, RegexScript, ScriptData
from .store import user_scripts

ROLE_PLACEMENTS = {'user': USER_INPUT, 'assistant': AI_OUTPUT, 'system': SLASH_COMMAND}
SETTINGS_SLOT = 'settings.plugins.regex_scripts'
CHAT_NAMES_TTL = 60 * 60 * 24 * 30


class Settings(BaseModel):
    timeout_ms: int = Field(default=250, ge=10, le=5000, title='Time limit per script (ms)',
                            description='A script whose pattern takes longer on one message is skipped.')
    max_scripts: int = Field(default=200, ge=1, le=2000, title='Scripts per user')


class UserSettings(BaseModel):
    change_messages: bool = Field(default=True, title='Change messages as they are sent and received',
                                  description='Run scripts that change the stored text of your messages and of '
                                              'the replies.')
    change_display: bool = Field(default=True, title='Change how messages are shown',
                                 description='Run "display only" scripts.')
    change_prompt: bool = Field(default=True, title='Change what the model is sent',
                                description='Run "prompt only" scripts.')
    character_scripts: bool = Field(default=True, title='Run scripts from character cards',
                                    description='Scripts imported with a character card, in chats with that '
                                                'character.')


@hookimpl
def register_tables(ctx: PluginContext) -> list[type]:
    return [RegexScript]


@hookimpl
def register_pages(ctx: PluginContext) -> dict[str, object]:
    async def manage(page: PluginPage) -> None:
        from .page import ScriptsPage

        await ScriptsPage(ctx, page).build()

    return {'/': manage}


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> object:
    if slot != SETTINGS_SLOT:
        return None

    async def build(target: SlotTarget) -> None:
        from .page import settings_panel

        await settings_panel(ctx, target)

    return build


@hookimpl
async def message_submitted(ctx: PluginContext, text: str, chat: ChatInfo, user: object) -> str | None:
    await _remember_names(ctx, chat)
    return await _stored_text(ctx, user, chat, text, USER_INPUT)


@hookimpl
async def reply_finished(ctx: PluginContext, text: str, chat: ChatInfo, user: object) -> str | None:
    return await _stored_text(ctx, user, chat, text, AI_OUTPUT)


@hookimpl
async def render_message(ctx: PluginContext, text: str, message: MessageInfo, user: object) -> str | None:
    placement = ROLE_PLACEMENTS.get(message.role)
    if placement is None or not (await ctx.user_settings(user)).change_display:
        return None
    names = await _chat_names(ctx, message.chat_id)
    scripts = _where(await active_scripts(ctx, user, names.char if names else None), 'display', placement)
    if not scripts:
        return None
    if any(script.min_depth is not None or script.max_depth is not None for script in scripts):
        newest = await ctx.services.chat_messages(user, message.chat_id, limit=1)
        depth = (newest[-1].seq - message.seq) if newest else 0
        scripts = _where(scripts, 'display', placement, depth)
    return await run_scripts(ctx, scripts, text, names or Names())


@hookimpl
async def prompt_messages(ctx: PluginContext, messages: list[PromptMessage], chat: ChatInfo,
                          user: object) -> list[PromptMessage] | None:
    await _remember_names(ctx, chat)
    if not (await ctx.user_settings(user)).change_prompt:
        return None
    scripts = [script for script in await active_scripts(ctx, user, chat.character_name) if script.prompt_only]
    if not scripts:
        return None
    history = [index for index, message in enumerate(messages) if message.role in ('user', 'assistant')]
    depths = {index: len(history) - 1 - position for position, index in enumerate(history)}
    names, result = Names(chat.character_name, chat.user_name), list(messages)
    for index, depth in depths.items():
        message = messages[index]
        chosen = _where(scripts, 'prompt', ROLE_PLACEMENTS[message.role], depth)
        if chosen:
            result[index] = dataclasses.replace(message, content=await run_scripts(ctx, chosen, message.content,
                                                                                   names))
    return result


async def active_scripts(ctx: PluginContext, user: object, character: str | None) -> list[ScriptData]:
    """The user's scripts for a chat with `character` (None: unknown), in order; switched-off ones included (the
    engine skips them)."""
    settings = await ctx.user_settings(user)
    scripts = [row.data() for row in await user_scripts(ctx, user.id)]  # type: ignore[attr-defined]
    return [script for script in scripts if not script.character_name or (
        settings.character_scripts and character is not None
        and script.character_name.casefold() == character.casefold())]


async def run_scripts(ctx: PluginContext, scripts: list[ScriptData], text: str, names: Names) -> str:
    """The text after the scripts, matched in a worker thread (under the admin's time limit per script)."""
    timeout = ctx.settings().timeout_ms / 1000
    result, failures = await asyncio.to_thread(run_all, scripts, text, names, timeout)
    for failure in failures:
        ctx.log.warning('regex script skipped: %s', failure)
    return result


async def _stored_text(ctx: PluginContext, user: object, chat: ChatInfo, text: str, placement: int) -> str | None:
    if not (await ctx.user_settings(user)).change_messages:
        return None
    scripts = _where(await active_scripts(ctx, user, chat.character_name), 'stored', placement)
    if not scripts:
        return None
    return await run_scripts(ctx, scripts, text, Names(chat.character_name, chat.user_name))


def _where(scripts: list[ScriptData], where: Where, placement: int, depth: int | None = None) -> list[ScriptData]:
    return [script for script in scripts if applies(script, where, placement, depth)]


async def _remember_names(ctx: PluginContext, chat: ChatInfo) -> None:
    await ctx.kv.set(f'chat-names:{chat.id}', json.dumps([chat.character_name, chat.user_name]), CHAT_NAMES_TTL)


async def _chat_names(ctx: PluginContext, chat_id: str) -> Names | None:
    stored = await ctx.kv.get(f'chat-names:{chat_id}')
    if stored is None:
        return None
    char, user = json.loads(stored)
    return Names(char, user)
