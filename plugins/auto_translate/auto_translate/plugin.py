"""Auto-translate: Chinese ⇄ English with the chat's own model (a quiet generation: nothing is added to the chat).

- "Translate my messages into": the user's message is translated before it is sent and stored, when it is not in
  that language already. The translation must finish within the app's hook time limit; if it fails or is too slow,
  the message is sent as written.
- "Show replies in": replies get their translation shown under them (the stored reply is not changed).
- Every user and character message has a Translate button that shows (and hides) its translation.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from plugins.sdk import ChatInfo, PluginContext, SlotTarget, hookimpl

from .translations import Translation, needs_translation, translate

ACTIONS_SLOT = 'chat.message.actions'
CHAT_NAMES_TTL = 60 * 60 * 24 * 30
DEFAULT_INSTRUCTION = ('Translate the text below into {language}. Keep its meaning, tone, names, line breaks and '
                       'markup such as *actions* and "speech". Reply with the translation only, without notes.')

Choice = Literal['off', 'en', 'zh-CN']


class Settings(BaseModel):
    instruction: str = Field(default=DEFAULT_INSTRUCTION, min_length=10, max_length=2000,
                             title='Translation instruction',
                             description='What the model is asked, before the text; {language} is the target.')
    max_tokens: int = Field(default=1500, ge=50, le=8000, title='Longest translation (tokens)')

    @field_validator('instruction')
    @classmethod
    def _has_language(cls, value: str) -> str:
        try:
            value.format(language='')
        except (KeyError, IndexError, ValueError):
            raise ValueError('use {language} and no other {…} placeholders') from None
        if '{language}' not in value:
            raise ValueError('must contain {language}')
        return value


class UserSettings(BaseModel):
    my_messages: Choice = Field(default='off', title='Translate my messages into',
                                description='Your messages are translated before they are sent: en = English, '
                                            'zh-CN = Chinese.')
    replies: Choice = Field(default='off', title='Show replies in',
                            description='Each new reply gets a translation shown under it.')


@hookimpl
def register_tables(ctx: PluginContext) -> list[type]:
    return [Translation]


@hookimpl
async def message_submitted(ctx: PluginContext, text: str, chat: ChatInfo, user: object) -> str | None:
    await ctx.kv.set(f'chat-names:{chat.id}', json.dumps([chat.character_name, chat.user_name]), CHAT_NAMES_TTL)
    target = (await ctx.user_settings(user)).my_messages
    if target == 'off' or not needs_translation(text, target):
        return None
    try:
        return await translate(ctx, user, chat.id, text, target)
    except Exception as error:  # the message goes out as written rather than not at all
        ctx.log.warning('could not translate a message in chat %s: %s', chat.id, error)
        return None


@hookimpl
def ui_slot(ctx: PluginContext, slot: str, target: SlotTarget) -> object:
    if slot != ACTIONS_SLOT or target.message is None or target.message.role not in ('user', 'assistant'):
        return None

    async def build(slot_target: SlotTarget) -> None:
        from .view import MessageTranslation

        settings = await ctx.user_settings(slot_target.user)
        stored = await ctx.kv.get(f'chat-names:{slot_target.chat_id}')
        names = tuple(json.loads(stored)) if stored else None
        MessageTranslation(ctx, slot_target, settings, names).build()  # type: ignore[arg-type]

    return build
