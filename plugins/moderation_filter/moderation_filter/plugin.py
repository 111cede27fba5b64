"""Moderation filter: the plugin's hooks.

The administrator keeps three rule lists in the plugin's settings (one word, phrase or `re:<pattern>` per line;
see `rules.py` for how they match, Chinese included):

- **block**: a user message that matches is not sent (`message_submitted` returns '' and the app tells the user the
  message was held back) and the attempt goes to the flag log;
- **mask**: matches in the character's replies become the mask text (`***`), while the reply streams
  (`stream_delta`) and in the stored text (`reply_finished`);
- **flag**: a user message or reply that matches goes through and is written to the flag log.

The flag log is the page `/p/moderation_filter/` (administrators only; the menu shows it to them).

Streaming keeps one small buffer per chat (a `StreamMasker`): the end of the text so far that could still become a
masked word waits for the next piece, so a word split across pieces ("ba" + "d") never reaches the screen. The
buffer is sent when the reply finishes and dropped when the `reply.finished` event or the chat's next user message
arrives (a reply that ends without text of its own never reaches `reply_finished`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, field_validator

from plugins.sdk import ChatInfo, MenuLink, PluginContext, PluginPage, hookimpl

from . import flag_log
from .flag_log import FlagEntry
from .rules import Rule, StreamMasker, excerpt, first_match, mask_all, parse_rules

PAGE = '/p/moderation_filter/'
RULE_HELP = 'One word, phrase or re:<regular expression> per line; matching ignores case.'


class Settings(BaseModel):
    """The administrator's rules; the form on the Plugins page is made from this model."""

    block: list[str] = Field(default_factory=list, title='Block in user messages',
                             description=f'{RULE_HELP} A matching message is not sent and is logged.')
    mask: list[str] = Field(default_factory=list, title='Mask in replies',
                            description=f'{RULE_HELP} Matches in the character\'s replies are replaced by the mask '
                                        'text, also while the reply streams.')
    flag: list[str] = Field(default_factory=list, title='Flag for review',
                            description=f'{RULE_HELP} A matching user message or reply goes through and is written '
                                        'to the flag log.')
    mask_text: str = Field(default='***', min_length=1, max_length=20, title='Mask text')
    stream_window: int = Field(default=24, ge=0, le=200, title='Pattern window while streaming',
                               description='Characters of a streaming reply held back so a re: pattern split across '
                                           'two pieces is still masked (plain words need no window).')

    @field_validator('block', 'mask', 'flag')
    @classmethod
    def _rules_compile(cls, lines: list[str]) -> list[str]:
        kept = [line.strip() for line in lines if line.strip()]
        parse_rules(kept)
        return kept


_maskers: dict[str, StreamMasker] = {}


@lru_cache(maxsize=32)
def _compiled(lines: tuple[str, ...]) -> list[Rule]:
    return parse_rules(list(lines))


def rules_of(lines: list[str]) -> list[Rule]:
    return _compiled(tuple(lines))


@hookimpl
async def message_submitted(ctx: PluginContext, text: str, chat: ChatInfo, user: Any) -> str | None:
    """Block or flag the user's message; a new message also ends any reply buffer left in this chat."""
    _maskers.pop(chat.id, None)
    settings: Settings = ctx.settings()
    blocked = first_match(rules_of(settings.block), text)
    if blocked is not None:
        await _log(ctx, user, chat, 'user', 'blocked', blocked, text)
        return ''
    flagged = first_match(rules_of(settings.flag), text)
    if flagged is not None:
        await _log(ctx, user, chat, 'user', 'flagged', flagged, text)
    return None


@hookimpl
def stream_delta(ctx: PluginContext, text: str, chat: ChatInfo) -> str | None:
    """Mask one streamed piece, holding back an end that could still become a masked word."""
    masker = _maskers.get(chat.id)
    if masker is None:
        settings: Settings = ctx.settings()
        rules = rules_of(settings.mask)
        if not rules:
            return None
        masker = _maskers[chat.id] = StreamMasker(rules, settings.mask_text, settings.stream_window)
    return masker.feed(text)


@hookimpl
async def reply_finished(ctx: PluginContext, text: str, chat: ChatInfo, user: Any) -> str:
    """The whole reply (with what the stream still held) masked, and flagged when a flag rule matches."""
    masker = _maskers.pop(chat.id, None)
    whole = text + (masker.finish() if masker is not None else '')
    settings: Settings = ctx.settings()
    flagged = first_match(rules_of(settings.flag), whole)
    if flagged is not None:
        await _log(ctx, user, chat, 'reply', 'flagged', flagged, whole)
    return mask_all(rules_of(settings.mask), whole, settings.mask_text)


@hookimpl
def event(name: str, payload: dict) -> None:
    if name == 'reply.finished':
        _maskers.pop(str(payload.get('chat_id')), None)


@hookimpl
def register_tables() -> list[type]:
    return [FlagEntry]


@hookimpl
def menu_links(ctx: PluginContext, user: Any) -> list[MenuLink]:
    if user is None or not user.is_admin:
        return []
    return [MenuLink(PAGE, ctx.t('menu.flag_log', user.locale or 'en'), 'flag')]


@hookimpl
def register_pages(ctx: PluginContext) -> dict[str, Any]:
    async def flag_log_page(page: PluginPage) -> None:
        from .flag_log_page import FlagLogPage

        await FlagLogPage(ctx, page).build()

    return {'/': flag_log_page}


async def _log(ctx: PluginContext, user: Any, chat: ChatInfo, source: flag_log.Source, action: flag_log.Action,
               found: tuple[Rule, Any], text: str) -> None:
    rule, match = found
    await flag_log.record(ctx, FlagEntry(user_id=chat.user_id, user_handle=getattr(user, 'handle', '') or '',
                                         chat_id=chat.id, character_name=chat.character_name, source=source,
                                         action=action, rule=rule.text, excerpt=excerpt(text, match)))
