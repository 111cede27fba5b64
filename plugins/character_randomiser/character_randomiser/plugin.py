"""Character randomiser: the plugin's hooks.

The library page gets a "Surprise me" section (`home.sections`, see `section.py`); in a chat, `/random [tag]`
suggests a random character as a note with a link that opens a chat with them. Each user may limit the picks to a
tag and to their favourites.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from plugins.sdk import CommandCall, CommandResult, PluginContext, SlashCommand, SlotBuilder, SlotTarget, hookimpl

from . import picker

HOME = 'home.sections'
COMMAND = 'random'


class UserSettings(BaseModel):
    tag: str = Field(default='', max_length=100, title='Only characters with this tag',
                     description='Leave empty to choose from the whole library.')
    favorites_only: bool = Field(default=False, title='Only my favourites')


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> SlotBuilder | None:
    if slot != HOME:
        return None

    async def build(target: SlotTarget) -> None:
        from .section import SurpriseSection

        settings: UserSettings = await ctx.user_settings(target.user)
        tags = await ctx.services.character_tags(target.user)
        SurpriseSection(ctx, target, tags, settings.tag, settings.favorites_only)

    return build


@hookimpl
def slash_commands(ctx: PluginContext, user: Any) -> list[SlashCommand]:
    locale = (user.locale if user is not None else None) or 'en'

    async def run(call: CommandCall) -> CommandResult:
        return await suggest(ctx, call, locale)

    return [SlashCommand(COMMAND, ctx.t('command.description', locale), run)]


async def suggest(ctx: PluginContext, call: CommandCall, locale: str) -> CommandResult:
    """`/random [tag]`: a note naming a random character (not the one of this chat) with a link to chat."""
    settings: UserSettings = await ctx.user_settings(call.user)
    tag = call.args.strip() or settings.tag
    characters = await picker.library(ctx, call.user, tag=tag, favorites_only=settings.favorites_only)
    chosen = picker.pick(characters, avoid=call.chat.character_id)
    if chosen is None:
        return CommandResult(notify=ctx.t('command.empty_tag' if tag else 'command.empty', locale, tag=tag))
    about = f'\n\n> {chosen.short_description}' if chosen.short_description else ''
    note = ctx.t('command.note', locale, name=chosen.name, link=f'/characters/{chosen.id}/chat')
    return CommandResult(system_note=note + about)
