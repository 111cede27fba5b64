"""Matching moderation rules in text: plain words or phrases, and regular expressions written as `re:<pattern>`.

Everything matches case-insensitively. A word made of Latin letters or digits matches only as a whole word ("ass"
does not match "class"), but a word of Chinese, Japanese or Korean characters matches anywhere, because those
languages put no spaces between words ("坏蛋" matches inside "你这个坏蛋"). A mixed word gets the whole-word check only
on its Latin ends, so "bad" still matches in "这个bad词".

`StreamMasker` masks a reply that arrives in pieces. A word can be split across two pieces ("ba" + "d"), so the
masker holds back the end of the text that could still become a match — the longest end that begins one of the
words (a whole Latin word at the very end too, since the next piece may continue it: "bad" + "ge") and, when there
are `re:` rules, a fixed window of characters — and sends it with the next piece, or when the reply finishes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REGEX_PREFIX = 're:'
CJK_RANGES = ('\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f'
              '\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f')
LATIN_WORD_CHAR = f'[^\\W{CJK_RANGES}]'
"""A word character that is not a CJK one: where a Latin word must not continue."""
MAX_RULE_LENGTH = 200
WHITESPACE = re.compile(r'\s')


@dataclass(frozen=True)
class Rule:
    """One line of a rule list: what the administrator wrote and the pattern it became."""

    text: str
    pattern: re.Pattern[str]
    word: str | None = None
    """The lower-cased word or phrase of a plain rule (None for a `re:` rule)."""
    open_ended: bool = False
    """A plain rule that ends in a Latin letter or digit: a match at the end of the text so far may still grow."""


def parse_rule(line: str) -> Rule:
    """The rule a line stands for; raises ValueError with a message an administrator can act on."""
    text = line.strip()
    if not text:
        raise ValueError('an empty rule')
    if len(text) > MAX_RULE_LENGTH:
        raise ValueError(f'the rule "{text[:30]}…" is longer than {MAX_RULE_LENGTH} characters')
    if text.startswith(REGEX_PREFIX):
        return _regex_rule(text)
    body = r'\s+'.join(re.escape(part) for part in text.split())
    if _is_latin_word_char(text[0]):
        body = f'(?<!{LATIN_WORD_CHAR})' + body
    if _is_latin_word_char(text[-1]):
        body += f'(?!{LATIN_WORD_CHAR})'
    return Rule(text, re.compile(body, re.IGNORECASE), ' '.join(text.split()).lower(),
                open_ended=_is_latin_word_char(text[-1]))


def parse_rules(lines: list[str]) -> list[Rule]:
    return [parse_rule(line) for line in lines if line.strip()]


def first_match(rules: list[Rule], text: str) -> tuple[Rule, re.Match[str]] | None:
    """The rule that matches earliest in `text`, with its match."""
    found = [(match.start(), index, rule, match) for index, rule in enumerate(rules)
             if (match := rule.pattern.search(text)) is not None]
    if not found:
        return None
    _, _, rule, match = min(found, key=lambda item: (item[0], item[1]))
    return rule, match


def spans(rules: list[Rule], text: str, start: int = 0) -> list[tuple[int, int]]:
    """Every non-empty match of every rule in `text` from `start` on, sorted."""
    return sorted((match.start(), match.end()) for rule in rules for match in rule.pattern.finditer(text, start)
                  if match.end() > match.start())


def mask(text: str, found: list[tuple[int, int]], replacement: str) -> str:
    """`text` with every span in `found` (overlapping ones merged) replaced by `replacement`."""
    pieces, position = [], 0
    for start, end in _merged(found):
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return ''.join(pieces)


def mask_all(rules: list[Rule], text: str, replacement: str) -> str:
    return mask(text, spans(rules, text), replacement)


def excerpt(text: str, match: re.Match[str], around: int = 60) -> str:
    """The match with some text either side, on one line, for the flag log."""
    start, end = max(0, match.start() - around), min(len(text), match.end() + around)
    body = ' '.join(text[start:end].split())
    return ('…' if start else '') + body + ('…' if end < len(text) else '')


class StreamMasker:
    """Masks one chat's streamed reply piece by piece (see the module docstring); `finish` returns what is held."""

    def __init__(self, rules: list[Rule], replacement: str, window: int) -> None:
        self.rules = rules
        self.replacement = replacement
        self.window = window if any(rule.word is None for rule in rules) else 0
        self.context = ''
        """The last character already sent: a whole-word check at the start of the next piece needs it."""
        self.held = ''

    def feed(self, piece: str) -> str:
        """The part of the text so far that can be sent now, masked."""
        text = self.context + self.held + piece
        start = len(self.context)
        found = spans(self.rules, text, start)
        cut = self._cut(text, start, found)
        sent = mask(text[start:cut], [(a - start, b - start) for a, b in found if b <= cut], self.replacement)
        self.context = text[:cut][-1:]
        self.held = text[cut:]
        return sent

    def finish(self) -> str:
        """What is still held back (unmasked: the caller masks the whole reply once more)."""
        held, self.held, self.context = self.held, '', ''
        return held

    def _cut(self, text: str, start: int, found: list[tuple[int, int]]) -> int:
        cut = max(start, len(text) - max(self._word_hold(text[start:]), min(self.window, len(text) - start)))
        moved = True
        while moved:
            moved = False
            for begin, end in found:
                if begin < cut < end:
                    cut, moved = begin, True
        return max(cut, start)

    def _word_hold(self, text: str) -> int:
        """The longest end of `text` that could still turn into a match of a plain rule."""
        best = 0
        spaced = WHITESPACE.sub(' ', text).lower()
        for rule in self.rules:
            if rule.word is None:
                continue
            longest = len(rule.word) if rule.open_ended else len(rule.word) - 1
            for size in range(min(longest, len(spaced)), best, -1):
                if rule.word.startswith(spaced[-size:]):
                    best = size
                    break
        return best


def _regex_rule(text: str) -> Rule:
    source = text[len(REGEX_PREFIX):]
    try:
        pattern = re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f'the pattern "{source}" is not a valid regular expression: {error}') from None
    if pattern.search('') is not None:
        raise ValueError(f'the pattern "{source}" also matches empty text, so it would match everywhere')
    return Rule(text, pattern)


def _is_latin_word_char(char: str) -> bool:
    return re.fullmatch(LATIN_WORD_CHAR, char) is not None


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
