"""Slash commands in the chat input: `/name args` runs an enabled plugin's command instead of being sent.

A command's result may send text as the user's message (the chat page sends it), add a hidden system note to the
chat (stored with role `system`, shown on the page, left out of prompts) and show a notice. `/help`, and any unknown
`/name`, list the commands there are. Only when some plugin offers commands is a leading `/` special.
"""

from __future__ import annotations

import re

from nicegui import ui

from app.plugins.chat_bridge import chat_info, guarded
from app.plugins.contributions import slash_commands
from app.services.chats import MAX_MESSAGE_LENGTH, NewMessage
from plugins.sdk import CommandCall, CommandResult, SlashCommand

from .page_context import PageContext

COMMAND = re.compile(r'/([A-Za-z][\w-]*)(?:\s+(.*))?', re.DOTALL)
HELP = 'help'


def is_chat_command(ctx: PageContext, text: str) -> bool:
    """Whether `text` is a command to run rather than a message (only when some plugin offers commands)."""
    return COMMAND.fullmatch(text) is not None and ctx.services.plugins.has_impls('slash_commands')


async def run_chat_command(ctx: PageContext, chat_id: str, character_name: str, user_name: str,
                           text: str) -> CommandResult | None:
    """Run the command `text` in the chat; its result, or None when there was nothing to run (help, an unknown
    command, a failure: a notice says which)."""
    match = COMMAND.fullmatch(text)
    assert match is not None and ctx.user is not None
    name, args = match.group(1).lower(), (match.group(2) or '').strip()
    plugins = ctx.services.plugins
    commands = await slash_commands(plugins, ctx.user, (HELP,))
    if name not in commands:
        _list_commands(ctx, commands, unknown='' if name == HELP else name)
        return None
    plugin_id, command = commands[name]
    chat = await ctx.services.chats.get(ctx.user, chat_id)
    call = CommandCall(args=args, chat=chat_info(chat, ctx.user, character_name, user_name), user=ctx.user)
    ran, result = await guarded(plugins, plugin_id, f'slash_commands:/{name}', command.run, call)
    if ran and not isinstance(result, CommandResult | None):
        await plugins.record_error(plugin_id, f'slash_commands:/{name}', f'returned {type(result).__name__} '
                                   'instead of CommandResult', '')
    if not ran or not isinstance(result, CommandResult | None):
        ui.notify(ctx.t('plugin_hooks.command_failed', command=f'/{name}'), type='negative')
        return None
    result = result or CommandResult()
    if result.system_note:
        note = NewMessage(role='system', content=result.system_note[:MAX_MESSAGE_LENGTH], name=f'/{name}')
        await ctx.services.chats.append(ctx.user, chat_id, note)
    if result.notify:
        ui.notify(result.notify)
    return result


def _list_commands(ctx: PageContext, commands: dict[str, tuple[str, SlashCommand]], unknown: str) -> None:
    listing = ' · '.join(f'/{name} – {command.description}' for name, (_, command) in sorted(commands.items()))
    listing = f'{listing} · /{HELP}' if listing else f'/{HELP}'
    if unknown:
        ui.notify(ctx.t('plugin_hooks.command_unknown', command=f'/{unknown}', commands=listing), type='warning',
                  multi_line=True)
    else:
        ui.notify(ctx.t('plugin_hooks.command_list', commands=listing), multi_line=True)
