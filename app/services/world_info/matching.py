"""Keyword matching as SillyTavern's `WorldInfoBuffer.matchKeys` does it, and the text an entry is matched against.

A key written as `/pattern/flags` is a JavaScript regular expression (ST's `parseRegexFromString`); it is translated
to Python's dialect so it matches the same text: `\\w`, `\\d` and `\\b` are ASCII-only in JavaScript (so a Chinese
character counts as a non-word character), `$` is the very end without the `m` flag, `(?<name>` and `\\k<name>`
are spelled differently, `[^]` means any character. A key that is not a valid regex is matched as plain text, as in
SillyTavern, and never raises.

Plain keys follow the entry's (or the global) case sensitivity and "match whole words" settings: a single-word key
must have a non-word character or the text's edge on both sides, using JavaScript's ASCII `\\W`; that is why a
Chinese key inside Chinese text still matches with whole words on, exactly as in SillyTavern. A key of several words
is matched as a substring.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

REGEX_KEY = re.compile(r'/([\s\S]+?)/([gimsuy]*)')
UNESCAPED_SLASH = re.compile(r'(^|[^\\])/')
ASCII_WORD = 'A-Za-z0-9_'
MAX_REGEX_LENGTH = 2000
JS_ESCAPES_OUTSIDE_CLASS = {
    'w': f'[{ASCII_WORD}]', 'W': f'[^{ASCII_WORD}]', 'd': '[0-9]', 'D': '[^0-9]',
    'b': f'(?:(?<=[{ASCII_WORD}])(?![{ASCII_WORD}])|(?<![{ASCII_WORD}])(?=[{ASCII_WORD}]))',
    'B': f'(?:(?<=[{ASCII_WORD}])(?=[{ASCII_WORD}])|(?<![{ASCII_WORD}])(?![{ASCII_WORD}]))',
}
JS_ESCAPES_IN_CLASS = {'w': ASCII_WORD, 'd': '0-9', 'b': '\\x08'}
JS_LETTER_ESCAPES = frozenset('bBdDwWsStnrvfcxukpP')
CLASS_CHARS_TO_ESCAPE = frozenset('[&~|')
"""Literal in a JavaScript character class, but the start of a (future) set operation in Python's."""
FLAG_BITS = {'i': regex.IGNORECASE, 'm': regex.MULTILINE, 's': regex.DOTALL}
REGEX_TIMEOUT_SECONDS = 0.05
"""A user's regex key may backtrack catastrophically; after this long it counts as not matching."""


@lru_cache(maxsize=4096)
def parse_regex_key(key: str) -> regex.Pattern[str] | None:
    """The compiled regex of a `/pattern/flags` key, or None when the key is not a (valid) regex."""
    match = REGEX_KEY.fullmatch(key)
    if match is None or len(key) > MAX_REGEX_LENGTH:
        return None
    pattern, flags = match.groups()
    if UNESCAPED_SLASH.search(pattern) or len(set(flags)) != len(flags):
        return None
    return compile_js_regex(pattern.replace('\\/', '/', 1), flags)


def compile_js_regex(pattern: str, flags: str) -> regex.Pattern[str] | None:
    """A JavaScript regex (source and flags) as a Python pattern with the same meaning, or None if invalid.

    Compiled with the `regex` package (same syntax as `re` in its default version) because it can time out.
    """
    translated = _translate(pattern, multiline='m' in flags)
    if translated is None:
        return None
    if 'y' in flags:
        translated = rf'\A(?:{translated})'
    bits = 0
    for flag in flags:
        bits |= FLAG_BITS.get(flag, 0)
    try:
        return regex.compile(translated, bits)
    except (regex.error, OverflowError, RecursionError, ValueError):
        return None


def _translate(pattern: str, *, multiline: bool) -> str | None:
    parts: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == '\\':
            if index + 1 >= len(pattern):
                return None
            escaped, index = _escape(pattern, index, in_class)
            if escaped is None:
                return None
            parts.append(escaped)
            continue
        if in_class:
            in_class = char != ']'
            parts.append('\\' + char if char in CLASS_CHARS_TO_ESCAPE else char)
        elif pattern.startswith('[^]', index):
            parts.append(r'[\s\S]')
            index += 2
        elif pattern.startswith('[]', index):
            parts.append('(?!)')
            index += 1
        elif char == '[':
            in_class = True
            parts.append(char)
        elif pattern.startswith('(?<', index) and pattern[index + 3:index + 4] not in ('=', '!'):
            parts.append('(?P<')
            index += 2
        elif char == '$' and not multiline:
            parts.append(r'\Z')
        else:
            parts.append(char)
        index += 1
    return ''.join(parts)


def _escape(pattern: str, index: int, in_class: bool) -> tuple[str | None, int]:
    """One JavaScript escape sequence at `index` in Python spelling, and the index after it."""
    letter = pattern[index + 1]
    if letter == 'k' and pattern[index + 2:index + 3] == '<':
        end = pattern.find('>', index)
        return (None, index) if end < 0 else (f'(?P={pattern[index + 3:end]})', end + 1)
    if letter == 'u' and pattern[index + 2:index + 3] == '{':
        end = pattern.find('}', index)
        try:
            return f'\\U{int(pattern[index + 3:end], 16):08x}', end + 1
        except ValueError:
            return None, index
    table = JS_ESCAPES_IN_CLASS if in_class else JS_ESCAPES_OUTSIDE_CLASS
    if letter in table:
        return table[letter], index + 2
    if letter == 'c' and pattern[index + 2:index + 3].isalpha():
        return re.escape(chr(ord(pattern[index + 2]) % 32)), index + 3
    if letter.isascii() and letter.isalpha() and letter not in JS_LETTER_ESCAPES:
        return letter, index + 2
    return '\\' + letter, index + 2


def match_key(haystack: str, key: str, *, case_sensitive: bool, whole_words: bool) -> bool:
    """Whether one key (already macro-substituted and trimmed) occurs in the scanned text."""
    pattern = parse_regex_key(key)
    if pattern is not None:
        try:
            return pattern.search(haystack, timeout=REGEX_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            return False
    if not case_sensitive:
        haystack, key = haystack.lower(), key.lower()
    if whole_words and len(re.split(r'\s+', key)) == 1:
        return _whole_word(key).search(haystack) is not None
    return key in haystack


@lru_cache(maxsize=4096)
def _whole_word(key: str) -> re.Pattern[str]:
    return re.compile(rf'(?:\A|[^{ASCII_WORD}])({re.escape(key)})(?:\Z|[^{ASCII_WORD}])')


MATCHER = '\x01'
JOINER = '\n' + MATCHER
MAX_SCAN_DEPTH = 1000


class ScanBuffer:
    """The chat text entries are matched against (ST's `WorldInfoBuffer`): the newest messages down to a depth, each
    prefixed with `\\x01` so regex keys can anchor at a message start, plus the character and persona fields an
    entry opts into, injected prompts allowed into the scan, and (outside minimum-activation sweeps) the content of
    entries activated in earlier recursion steps."""

    def __init__(self, messages: list[str], injected: list[str], optional_fields: dict[str, str],
                 base_depth: int) -> None:
        self.messages = [message.strip() for message in messages[:MAX_SCAN_DEPTH]]
        self.injected = [text for text in injected if text]
        self.optional_fields = optional_fields
        self.base_depth = base_depth
        self.skew = 0
        self.recursion: list[str] = []

    @property
    def depth(self) -> int:
        return self.base_depth + self.skew

    def text_for(self, scan_depth: int | None, wanted_fields: list[str], *, with_recursion: bool) -> str:
        depth = self.depth if scan_depth is None else scan_depth
        if depth <= 0:
            return ''
        text = MATCHER + JOINER.join(self.messages[:min(depth, MAX_SCAN_DEPTH)])
        for name in wanted_fields:
            if self.optional_fields.get(name):
                text += JOINER + self.optional_fields[name]
        if self.injected:
            text += JOINER + JOINER.join(self.injected)
        if with_recursion and self.recursion:
            text += JOINER + JOINER.join(self.recursion)
        return text
