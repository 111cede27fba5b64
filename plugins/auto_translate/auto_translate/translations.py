"""Translating text between Chinese and English with the chat's own model, and the cache of translations.

A text's language is guessed from its letters: mostly Han characters is Chinese, mostly Latin letters English; a text
already in the target language (or with no letters at all) is not sent to the model. Translations are cached per
user, keyed by the target language and a hash of the exact text, so a message is translated once however often it is
shown; the same text asked for twice at the same time is translated once.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any, Literal

import sqlmodel
from sqlmodel import col, select

from plugins.sdk import PluginContext

Language = Literal['en', 'zh-CN']
LANGUAGE_NAMES: dict[str, str] = {'en': 'English', 'zh-CN': 'Simplified Chinese (简体中文)'}
_HAN = re.compile(r'[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]')
_LATIN = re.compile(r'[A-Za-z]')
_in_flight: dict[tuple[str, str], asyncio.Task[str]] = {}


class Translation(sqlmodel.SQLModel, table=True):
    __tablename__ = 'plg_auto_translate_translation'

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    user_id: str = sqlmodel.Field(index=True, max_length=64)
    key: str = sqlmodel.Field(index=True, max_length=80)
    text: str


def language_of(text: str) -> Language | None:
    """'zh-CN' or 'en' by which letters the text is mostly made of (a Han character counts as two letters), None
    when it has neither."""
    han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
    if not han and not latin:
        return None
    return 'zh-CN' if han * 2 >= latin else 'en'


def needs_translation(text: str, target: str) -> bool:
    language = language_of(text)
    return language is not None and language != target


def other_language(text: str) -> Language:
    """Where a text goes when the user did not say: Chinese to English, anything else to Chinese."""
    return 'en' if language_of(text) == 'zh-CN' else 'zh-CN'


def cache_key(text: str, target: str) -> str:
    return f'{target}:' + hashlib.sha256(text.encode()).hexdigest()


async def cached(ctx: PluginContext, user_id: str, text: str, target: str) -> str | None:
    statement = select(Translation.text).where(col(Translation.user_id) == user_id,
                                               col(Translation.key) == cache_key(text, target))
    async with ctx.db_session() as session:
        return (await session.exec(statement)).first()


def in_flight(user_id: str, text: str, target: str) -> bool:
    return (user_id, cache_key(text, target)) in _in_flight


async def translate(ctx: PluginContext, user: Any, chat_id: str, text: str, target: str) -> str:
    """The text in `target`, from the cache or the chat's model (a failing model raises)."""
    known = await cached(ctx, user.id, text, target)
    if known is not None:
        return known
    flight = (user.id, cache_key(text, target))
    task = _in_flight.get(flight)
    if task is None:
        task = asyncio.get_running_loop().create_task(_translate(ctx, user, chat_id, text, target))
        _in_flight[flight] = task
        task.add_done_callback(lambda _: _in_flight.pop(flight, None))
    return await asyncio.shield(task)


async def _translate(ctx: PluginContext, user: Any, chat_id: str, text: str, target: str) -> str:
    settings = ctx.settings()
    prompt = settings.instruction.format(language=LANGUAGE_NAMES[target]) + '\n\n' + text
    translation = (await ctx.services.generate(user, chat_id, prompt, max_tokens=settings.max_tokens)).strip()
    if not translation:
        raise ValueError('the model returned no translation')
    async with ctx.db_session() as session:
        session.add(Translation(user_id=user.id, key=cache_key(text, target), text=translation))
        await session.commit()
    return translation
