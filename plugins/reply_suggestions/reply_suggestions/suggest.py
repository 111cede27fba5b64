"""Asking the chat's model for replies the user could send next, and reading them out of its answer.

The prompt holds the end of the conversation (the last messages, hidden notes left out, each one shortened), names
the language to answer in — the script of the recent messages decides: Chinese, Japanese or Korean, otherwise
"the language of the conversation" — and asks for one reply per line. The answer is read leniently: numbering,
bullets, quotes and a model's `<think>` block are stripped, a lead-in line ending with a colon is skipped, and
repeated lines count once.
"""

from __future__ import annotations

import re
from typing import Any

from plugins.sdk import ChatMessageView, PluginContext

HISTORY = 12
MAX_MESSAGE_CHARS = 600
MAX_TOKENS = 300
HAN = re.compile('[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]')
KANA = re.compile('[\u3040-\u30ff]')
HANGUL = re.compile('[\uac00-\ud7af]')
LETTER = re.compile(r'[^\W\d_]')
CJK_SHARE = 0.3
THINKING = re.compile(r'<think>.*?(</think>|$)', re.DOTALL | re.IGNORECASE)
LIST_MARK = re.compile(r'^\s*(?:[-*•·]|\d{1,2}\s*[.)、:：]|[(（]\d{1,2}[)）])\s*')
QUOTES = '"\'“”‘’「」『』«»'


def chat_language(messages: list[ChatMessageView]) -> str:
    """How the prompt names the language of the recent messages."""
    sample = ''.join(message.content for message in messages[-6:])
    if KANA.search(sample):
        return 'Japanese'
    if HANGUL.search(sample):
        return 'Korean'
    letters = len(LETTER.findall(sample))
    if letters and len(HAN.findall(sample)) / letters >= CJK_SHARE:
        return 'Chinese (use the same simplified or traditional characters as the conversation)'
    return 'the language the conversation is written in'


def build_prompt(messages: list[ChatMessageView], count: int, max_words: int) -> str:
    shown = [message for message in messages if message.role in ('user', 'assistant')][-HISTORY:]
    user = _name(shown, 'user', 'the user')
    character = _name(shown, 'assistant', 'the character')
    lines = [f'{message.name or (user if message.role == "user" else character)}: '
             f'{_shortened(message.content)}' for message in shown]
    return (f'You help {user} write their next message in a role-play chat with {character}.\n\n'
            'The conversation so far, oldest first:\n' + '\n'.join(lines) + '\n\n'
            f'Write {count} different short replies that {user} could send next, in {chat_language(shown)}. '
            'Stay in the tone of the story and make them differ (for example: one that goes along, one that asks '
            f'something, one that takes an action). Each reply has at most {max_words} words. Answer with the '
            f'{count} replies only, one per line, without numbering, quotes or explanations.')


def parse_suggestions(answer: str, count: int) -> list[str]:
    found: list[str] = []
    for line in THINKING.sub('', answer).splitlines():
        candidate = LIST_MARK.sub('', line).strip().strip(QUOTES).strip()
        if not candidate or candidate.endswith((':', '：')):
            continue
        if candidate.casefold() not in {item.casefold() for item in found}:
            found.append(candidate)
    return found[:count]


async def suggest_replies(ctx: PluginContext, user: Any, chat_id: str, count: int, max_words: int) -> list[str]:
    """`count` replies from the chat's own model (a quiet generation: nothing is stored)."""
    messages = await ctx.services.chat_messages(user, chat_id, limit=HISTORY * 2)
    answer = await ctx.services.generate(user, chat_id, build_prompt(messages, count, max_words),
                                         max_tokens=MAX_TOKENS)
    return parse_suggestions(answer, count)


def _name(messages: list[ChatMessageView], role: str, fallback: str) -> str:
    return next((message.name for message in reversed(messages) if message.role == role and message.name), fallback)


def _shortened(text: str) -> str:
    flat = ' '.join(text.split())
    return flat if len(flat) <= MAX_MESSAGE_CHARS else flat[:MAX_MESSAGE_CHARS - 1] + '…'
