"""Dice notation: read `2d6+1`, `d20`, `4d6kh3`, `2d10-1`, `d%` or `3d8 + 2d6 + 4`, roll it, and describe the roll.

An expression is terms joined by `+` or `-`; a term is a whole number or a group of dice `NdS` (N defaults to 1, `%`
means 100 sides) that may keep or drop some of its dice: `khK`/`kK` keeps the K highest, `klK` the K lowest, `dlK`/`dK`
drops the K lowest, `dhK` the K highest. Whatever follows the expression after a space is the roll's reason
(`/roll d20 stealth`). Limits keep a roll small and its note short: at most 100 dice, 1000 sides and 20 terms.

Errors carry a translation key (`error.<code>`) and its parameters, so the plugin can say them in the user's language.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

MAX_DICE = 100
MAX_SIDES = 1000
MAX_TERMS = 20
MAX_NUMBER = 1_000_000

_TERM = re.compile(r'(?:(?P<count>\d*)d(?P<sides>\d+|%)(?:(?P<rule>k[hl]?|d[hl]?)(?P<amount>\d+))?|(?P<number>\d+))'
                   r'(?![\w%])', re.IGNORECASE)
_JOIN = re.compile(r'\s*(?P<sign>[+-])\s*')
_KEEP_RULES = {'k': ('keep', 'high'), 'kh': ('keep', 'high'), 'kl': ('keep', 'low'),
               'd': ('drop', 'low'), 'dl': ('drop', 'low'), 'dh': ('drop', 'high')}


class DiceError(ValueError):
    """A roll that cannot be made; `code` names the translation `error.<code>`, `params` fill it in."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Term:
    """One term: `sign` is +1 or -1; a number has `sides` 0 and its value in `count`."""

    sign: int
    count: int
    sides: int = 0
    keep: int | None = None
    keep_high: bool = True
    text: str = ''

    @property
    def is_dice(self) -> bool:
        return self.sides > 0


@dataclass(frozen=True)
class Expression:
    terms: tuple[Term, ...]
    text: str
    reason: str = ''


@dataclass(frozen=True)
class TermRoll:
    term: Term
    rolls: tuple[int, ...] = ()
    kept: tuple[bool, ...] = ()

    @property
    def value(self) -> int:
        if not self.term.is_dice:
            return self.term.count
        return sum(roll for roll, kept in zip(self.rolls, self.kept, strict=True) if kept)

    def describe(self) -> str:
        """`[3, 5]` for dice (dropped dice struck through: `[6, ~~1~~, 5]`), the number itself otherwise."""
        if not self.term.is_dice:
            return str(self.term.count)
        shown = [str(roll) if kept else f'~~{roll}~~' for roll, kept in zip(self.rolls, self.kept, strict=True)]
        return '[' + ', '.join(shown) + ']'


@dataclass(frozen=True)
class Roll:
    expression: Expression
    terms: tuple[TermRoll, ...]

    @property
    def total(self) -> int:
        return sum(term.term.sign * term.value for term in self.terms)

    def describe(self) -> str:
        """The arithmetic: `[3, 5] + 1`."""
        parts = []
        for index, term in enumerate(self.terms):
            if index:
                parts.append('-' if term.term.sign < 0 else '+')
            parts.append(term.describe())
        return ' '.join(parts)


def parse(text: str) -> Expression:
    """Read an expression (and an optional reason after it); raises `DiceError` on anything else."""
    source = text.strip()
    if not source:
        raise DiceError('empty')
    terms: list[Term] = []
    position, sign = 0, 1
    while True:
        match = _TERM.match(source, position)
        if match is None:
            raise DiceError('syntax', near=source[position:position + 12] or source)
        terms.append(_term(match, sign))
        if len(terms) > MAX_TERMS:
            raise DiceError('too_many_terms', limit=MAX_TERMS)
        position = match.end()
        join = _JOIN.match(source, position)
        if join is None:
            break
        sign = -1 if join.group('sign') == '-' else 1
        position = join.end()
    rest = source[position:]
    if rest and not rest[0].isspace():
        raise DiceError('syntax', near=rest[:12])
    if sum(term.count for term in terms if term.is_dice) > MAX_DICE:
        raise DiceError('too_many_dice', limit=MAX_DICE)
    expression = re.sub(r'\s+', '', source[:position]).lower()
    return Expression(tuple(terms), expression, rest.strip())


def roll(expression: Expression, rng: random.Random) -> Roll:
    """Roll every group of dice with `rng` (seed it for repeatable rolls)."""
    return Roll(expression, tuple(_roll_term(term, rng) for term in expression.terms))


def _term(match: re.Match[str], sign: int) -> Term:
    text = match.group(0)
    if match.group('number') is not None:
        number = int(match.group('number'))
        if number > MAX_NUMBER:
            raise DiceError('number_too_large', limit=MAX_NUMBER)
        return Term(sign, number, text=text)
    count = int(match.group('count') or 1)
    sides = 100 if match.group('sides') == '%' else int(match.group('sides'))
    if count < 1:
        raise DiceError('no_dice', term=text)
    if count > MAX_DICE:
        raise DiceError('too_many_dice', limit=MAX_DICE)
    if sides < 1:
        raise DiceError('no_sides', term=text)
    if sides > MAX_SIDES:
        raise DiceError('too_many_sides', limit=MAX_SIDES)
    rule = match.group('rule')
    if rule is None:
        return Term(sign, count, sides, text=text)
    action, end = _KEEP_RULES[rule.lower()]
    amount = int(match.group('amount'))
    if action == 'keep' and not 1 <= amount <= count:
        raise DiceError('keep_range', term=text, count=count)
    if action == 'drop' and not 0 <= amount < count:
        raise DiceError('drop_range', term=text, count=count, most=count - 1)
    keep = amount if action == 'keep' else count - amount
    keep_high = (end == 'high') == (action == 'keep')
    return Term(sign, count, sides, keep, keep_high, text)


def _roll_term(term: Term, rng: random.Random) -> TermRoll:
    if not term.is_dice:
        return TermRoll(term)
    rolls = tuple(rng.randint(1, term.sides) for _ in range(term.count))
    if term.keep is None:
        return TermRoll(term, rolls, (True,) * len(rolls))
    order = sorted(range(len(rolls)), key=lambda index: rolls[index], reverse=term.keep_high)
    kept_indexes = set(order[:term.keep])
    return TermRoll(term, rolls, tuple(index in kept_indexes for index in range(len(rolls))))
