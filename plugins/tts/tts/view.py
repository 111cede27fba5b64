"""The buttons: "Read aloud" on each message, "Stop reading" in the chat toolbar, and reading a new reply by itself.

A new reply is read when its actions are drawn after it finished, if `reply_finished` marked its chat for the user
(see `plugin.py`) and it is the chat's newest message; the mark is removed as it is read, so an open chat reads each
reply once.
"""

from __future__ import annotations

from typing import Any

from nicegui import Client, background_tasks, ui

from plugins.sdk import PluginContext, SlotTarget

from .plugin import AUTO_READ_KEY
from .speech import STOP_SCRIPT, Voice, language_of, readable_text, speak_script


def voice_for(settings: Any, text: str) -> Voice:
    lang = language_of(text) if settings.voice_language == 'auto' else settings.voice_language
    return Voice(lang=lang, name=settings.voice_name.strip(), rate=settings.rate, pitch=settings.pitch)


async def read_aloud_button(ctx: PluginContext, target: SlotTarget) -> None:
    message = target.message
    assert message is not None
    label = ctx.t('read', target.locale)
    client = ui.context.client
    ui.button(icon='volume_up', on_click=lambda: read(ctx, target, client, notify=True)) \
        .props(f'flat round dense aria-label="{label}"').tooltip(label).mark(f'read-aloud-{message.seq}')
    if message.role == 'assistant' and await ctx.kv.get(AUTO_READ_KEY.format(chat_id=message.chat_id)):
        background_tasks.create(read(ctx, target, client, notify=False, newest_only=True),
                                name=f'read reply {message.id}')


async def read(ctx: PluginContext, target: SlotTarget, client: Client, *, notify: bool,
               newest_only: bool = False) -> None:
    """Read the target's message aloud; with `newest_only`, only when it is the chat's newest message (then the
    chat's auto-read mark is used up)."""
    message = target.message
    assert message is not None
    found = await ctx.services.chat_messages(target.user, message.chat_id, limit=1, before_seq=message.seq + 1)
    if not found or found[0].id != message.id:
        return
    if newest_only and (await ctx.services.chat_messages(target.user, message.chat_id, limit=1))[-1].id != message.id:
        return
    if newest_only:
        await ctx.kv.delete(AUTO_READ_KEY.format(chat_id=message.chat_id))
    settings = await ctx.user_settings(target.user)
    text = readable_text(found[0].content, settings.narrate)
    if not text:
        if notify:
            ui.notify(ctx.t('nothing', target.locale))
        return
    spoke = await _run(client, speak_script(text, voice_for(settings, text)))
    if notify and spoke is False:
        ui.notify(ctx.t('unsupported', target.locale), type='warning')


def stop_button(ctx: PluginContext, target: SlotTarget) -> None:
    label = ctx.t('stop', target.locale)
    client = ui.context.client
    ui.button(icon='volume_off', on_click=lambda: _run(client, STOP_SCRIPT)) \
        .props(f'flat round dense aria-label="{label}"').tooltip(label).mark('tts-stop')


async def _run(client: Client, script: str) -> Any:
    """Run a script in the page and return its result (None when the browser did not answer in time)."""
    try:
        return await client.run_javascript(script, timeout=3.0)
    except TimeoutError:
        return None
