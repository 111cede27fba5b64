"""`substitute_macros`: SillyTavern's legacy (regex) macro set, evaluated in SillyTavern's order.

The order matters and is SillyTavern's (`evaluateMacros`): legacy `<USER>`-style tags, dice, variables,
`{{newline}}`/`{{trim}}`/`{{noop}}`/`{{input}}`, the environment (card fields before names, so `{{user}}` inside
a description is filled, then call-site extras), chat state, `{{reverse:…}}`, comments, time, `{{banned}}`,
`{{random}}` and finally `{{pick}}`. Macro names match without regard to case; unknown macros stay as written.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable

from .clock import replace_clock_macros
from .context import MacroContext
from .variables import replace_variable_macros

_LEGACY_TAGS = [(re.compile(r'<USER>', re.I), 'user'), (re.compile(r'<BOT>', re.I), 'char'),
                (re.compile(r'<CHAR>', re.I), 'char'), (re.compile(r'<CHARIFNOTGROUP>', re.I), 'group'),
                (re.compile(r'<GROUP>', re.I), 'group')]
_ROLL = re.compile(r'\{\{roll[ :]([^}]+)\}\}', re.I)
_DICE = re.compile(r'([1-9]\d*)?d([1-9]\d*)([+-]\d+)?', re.I)
_MAX_DICE = 1000
_NEWLINE = re.compile(r'\{\{newline\}\}', re.I)
_TRIM = re.compile(r'(?:\r?\n)*\{\{trim\}\}(?:\r?\n)*', re.I)
_NOOP = re.compile(r'\{\{noop\}\}', re.I)
_INPUT = re.compile(r'\{\{input\}\}', re.I)
_REVERSE = re.compile(r'\{\{reverse:(.+?)\}\}', re.I)
_COMMENT = re.compile(r'\{\{//[\s\S]*?\}\}')
_BANNED = re.compile(r'\{\{banned "(.*?)"\}\}', re.I)
_RANDOM = re.compile(r'\{\{random\s?::?([^}]+)\}\}', re.I)
_PICK = re.compile(r'\{\{pick\s?::?([^}]+)\}\}', re.I)
_ESCAPED_COMMA = '\x00comma\x00'


def _group(ctx: MacroContext) -> str:
    return ctx.char if ctx.group is None else ctx.group


def _roll(formula: str, rng: random.Random) -> str:
    """`{{roll:2d6+1}}` / `{{roll 20}}` (a bare number means one die); an invalid formula gives nothing."""
    formula = formula.strip()
    if formula.isdigit():
        formula = f'1d{formula}'
    dice = _DICE.fullmatch(formula)
    if not dice or int(dice.group(1) or 1) > _MAX_DICE:
        return ''
    count, sides, modifier = int(dice.group(1) or 1), int(dice.group(2)), int(dice.group(3) or 0)
    return str(sum(rng.randint(1, sides) for _ in range(count)) + modifier)


def _environment(ctx: MacroContext) -> list[tuple[str, str | Callable[[], str]]]:
    """Name → value in SillyTavern's substitution order; extras replace a built-in of the same name in place.

    `original` is a function because only its first use gets the text; the rest are plain texts.
    """
    builtins: list[tuple[str, str | Callable[[], str]]] = []
    if ctx.original is not None:
        builtins.append(('original', ctx.take_original))
    builtins += [('charPrompt', ctx.char_prompt), ('charJailbreak', ctx.char_jailbreak),
                 ('description', ctx.description), ('personality', ctx.personality), ('scenario', ctx.scenario),
                 ('persona', ctx.persona), ('mesExamples', ctx.mes_examples), ('charVersion', ctx.char_version),
                 ('char_version', ctx.char_version), ('user', ctx.user), ('char', ctx.char),
                 ('group', _group(ctx)), ('charIfNotGroup', _group(ctx)), ('model', ctx.model)]
    extras = {name.lower(): (name, value) for name, value in ctx.extra.items()}
    merged = [(name, extras.pop(name.lower())[1] if name.lower() in extras else value) for name, value in builtins]
    return merged + list(extras.values())


def _chat_state(ctx: MacroContext) -> list[tuple[str, str | Callable[[], str]]]:
    return [('maxPrompt', str(ctx.max_prompt)), ('lastMessage', ctx.last_message),
            ('lastMessageId', str(ctx.last_message_id)), ('lastUserMessage', ctx.last_user_message),
            ('lastCharMessage', ctx.last_char_message), ('lastSwipeId', str(ctx.last_swipe_id)),
            ('currentSwipeId', str(ctx.current_swipe_id))]


def _replace_named(text: str, macros: list[tuple[str, str | Callable[[], str]]]) -> str:
    for name, value in macros:
        text = re.sub(r'\{\{' + re.escape(name) + r'\}\}',
                      lambda _, value=value: value() if callable(value) else str(value), text, flags=re.I)
    return text


def _choices(listing: str) -> list[str]:
    """`a::b::c` as is, or `a, b, c` trimmed, where `\\,` is a comma inside a choice."""
    if '::' in listing:
        return listing.split('::')
    protected = listing.replace('\\,', _ESCAPED_COMMA)
    return [item.strip().replace(_ESCAPED_COMMA, ',') for item in protected.split(',')]


def _pick(text: str, raw: str, ctx: MacroContext) -> str:
    """`{{pick}}`: the same choice every time for this chat, this text and this place in it."""
    text_hash = zlib.crc32(raw.encode('utf-8'))

    def choose(match: re.Match[str]) -> str:
        choices = _choices(match.group(1))
        seeded = random.Random(f'{ctx.chat_id_hash}-{text_hash}-{match.start()}')
        return choices[seeded.randrange(len(choices))]

    return _PICK.sub(choose, text)


def _ban(match: re.Match[str], ctx: MacroContext) -> str:
    ctx.banned_words.append(match.group(1))
    return ''


def substitute_macros(text: str, ctx: MacroContext) -> str:
    """`text` with every SillyTavern macro it uses expanded from `ctx` (which variable macros may change)."""
    if not text:
        return ''
    raw = text
    for tag, name in _LEGACY_TAGS:
        value = _group(ctx) if name == 'group' else getattr(ctx, name)
        text = tag.sub(lambda _, value=value: value, text)
    if '{{' not in text:
        return text
    text = _ROLL.sub(lambda match: _roll(match.group(1), ctx.rng), text)
    text = replace_variable_macros(text, ctx.variables, ctx.global_variables)
    text = _NEWLINE.sub('\n', text)
    text = _TRIM.sub('', text)
    text = _NOOP.sub('', text)
    text = _INPUT.sub(lambda _: ctx.input, text)
    text = _replace_named(text, _environment(ctx) + _chat_state(ctx))
    text = _REVERSE.sub(lambda match: match.group(1)[::-1], text)
    text = _COMMENT.sub('', text)
    text = replace_clock_macros(text, ctx.now, ctx.idle_duration)
    text = _BANNED.sub(lambda match: _ban(match, ctx), text)
    text = _RANDOM.sub(lambda match: ctx.rng.choice(_choices(match.group(1))), text)
    return _pick(text, raw, ctx)
