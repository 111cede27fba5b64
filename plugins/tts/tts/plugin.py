"""Text to speech with the browser's own speech synthesis (`window.speechSynthesis`): nothing runs on the server
but choosing the text and the voice.

Every user and character message gets a "Read aloud" button; the chat toolbar gets "Stop reading". With "read new
replies aloud" on, `reply_finished` marks the chat, and the reply is read as soon as the chat page draws it finished.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from plugins.sdk import ChatInfo, PluginContext, SlotTarget, hookimpl

ACTIONS_SLOT = 'chat.message.actions'
TOOLBAR_SLOT = 'chat.input.toolbar'
AUTO_READ_KEY = 'auto-read:{chat_id}'
AUTO_READ_TTL = 600


class UserSettings(BaseModel):
    auto_read: bool = Field(default=False, title='Read new replies aloud',
                            description='Each reply is read as soon as it is finished, while the chat is open.')
    narrate: Literal['all', 'quotes', 'no_actions'] = Field(
        default='all', title='What to read',
        description='all: the whole message; quotes: only "quoted speech"; no_actions: everything but *actions*.')
    voice_language: Literal['auto', 'zh-CN', 'en-US'] = Field(
        default='auto', title='Voice language', description='auto: Chinese voice for Chinese text, else English.')
    voice_name: str = Field(default='', max_length=200, title='Voice name',
                            description="The exact name of one of your browser's voices (empty: the first voice "
                                        'for the language).')
    rate: float = Field(default=1.0, ge=0.5, le=2.0, title='Speed', description='0.5 (slow) to 2 (fast).')
    pitch: float = Field(default=1.0, ge=0.0, le=2.0, title='Pitch', description='0 (low) to 2 (high).')


@hookimpl
def ui_slot(ctx: PluginContext, slot: str, target: SlotTarget) -> object:
    from . import view  # NiceGUI is imported only where the UI is drawn

    if slot == TOOLBAR_SLOT:
        return lambda slot_target: view.stop_button(ctx, slot_target)
    if slot == ACTIONS_SLOT and target.message is not None and target.message.role in ('user', 'assistant'):
        return lambda slot_target: view.read_aloud_button(ctx, slot_target)
    return None


@hookimpl
async def reply_finished(ctx: PluginContext, chat: ChatInfo, user: object) -> None:
    if (await ctx.user_settings(user)).auto_read:
        await ctx.kv.set(AUTO_READ_KEY.format(chat_id=chat.id), '1', AUTO_READ_TTL)
