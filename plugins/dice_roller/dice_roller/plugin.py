"""Dice roller: the `/roll` chat command and a dice menu in the chat toolbar.

`/roll 2d6+1` posts "🎲 alice rolls 2d6+1: [3, 5] + 1 = 9" into the chat as a system note (shown to the user, left
out of the character's prompt), or sends it as the user's message when they chose to share rolls with the character.
The toolbar menu rolls one die (d4 … d100) by sending `/roll dN` through the chat input, so both paths are the same.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, Field, field_validator

from plugins.sdk import CommandCall, CommandResult, PluginContext, SlashCommand, SlotTarget, hookimpl

from .dice import DiceError, Roll, parse, roll

TOOLBAR_SLOT = 'chat.input.toolbar'
MENU_DICE = ('d4', 'd6', 'd8', 'd10', 'd12', 'd20', 'd100')
RNG: random.Random = random.SystemRandom()
"""Where the dice come from; tests put a seeded `random.Random` here."""


class UserSettings(BaseModel):
    default_dice: str = Field(default='d20', min_length=1, max_length=100, title='Default dice',
                              description='What /roll rolls when you type nothing after it, e.g. d20 or 2d6.')
    share_with_character: bool = Field(default=False, title='Share rolls with the character',
                                       description='Send each roll as your message, so the character reacts to it. '
                                                   'Otherwise it is a note in the chat the character does not see.')

    @field_validator('default_dice')
    @classmethod
    def _rollable(cls, value: str) -> str:
        try:
            parse(value)
        except DiceError as error:
            raise ValueError(f'"{value}" is not a dice expression like d20, 2d6+1 or 4d6kh3 ({error.code})') from None
        return value.strip()


@hookimpl
def slash_commands(ctx: PluginContext, user: object) -> list[SlashCommand]:
    async def run(call: CommandCall) -> CommandResult:
        return await roll_command(ctx, call)

    locale = getattr(user, 'locale', None) or 'en'
    return [SlashCommand('roll', ctx.t('command.description', locale), run)]


async def roll_command(ctx: PluginContext, call: CommandCall) -> CommandResult:
    """`/roll <expression> [reason]`: the roll as a note (or the user's message), or a notice saying what is wrong."""
    settings = await ctx.user_settings(call.user)
    locale = call.chat.locale
    try:
        expression = parse(call.args or settings.default_dice)
    except DiceError as error:
        return CommandResult(notify=ctx.t(f'error.{error.code}', locale, **error.params))
    note = describe(ctx, roll(expression, RNG), call.chat.user_name, locale)
    if settings.share_with_character:
        return CommandResult(send=note)
    return CommandResult(system_note=note)


def describe(ctx: PluginContext, result: Roll, name: str, locale: str) -> str:
    """"🎲 alice rolls 2d6+1: [3, 5] + 1 = 9" (with the reason, when there is one), in the chat's language."""
    key = 'note.reason' if result.expression.reason else 'note.plain'
    return ctx.t(key, locale, name=name, expression=result.expression.text, reason=result.expression.reason,
                 detail=result.describe(), total=result.total)


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> object:
    if slot != TOOLBAR_SLOT:
        return None
    return lambda target: dice_menu(ctx, target)


def dice_menu(ctx: PluginContext, target: SlotTarget) -> None:
    from nicegui import ui

    label = ctx.t('toolbar.label', target.locale)
    with ui.button(icon='casino').props(f'flat round dense aria-label="{label}"').mark('dice-roller-menu') as button:
        button.tooltip(label)
        with ui.menu():
            for dice in MENU_DICE:
                ui.menu_item(dice, on_click=lambda dice=dice: roll_from_menu(ctx, target, dice)) \
                    .mark(f'dice-roller-{dice}')


async def roll_from_menu(ctx: PluginContext, target: SlotTarget, dice: str) -> None:
    from nicegui import ui

    if not await target.send_input(f'/roll {dice}'):
        ui.notify(ctx.t('toolbar.no_chat', target.locale), type='warning')
