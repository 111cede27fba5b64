"""Running SillyTavern regex scripts in Python, with SillyTavern's rules.

Find patterns are JavaScript regular expressions, written `/pattern/flags` or as a bare pattern (no flags). The
pattern is translated to the `regex` package's syntax where JavaScript differs: `\\d \\w \\b` stay ASCII-only (so
Chinese text is not a "word"), `$` without the `m` flag means the very end, `[^]` is any character, `\\k<name>`,
`\\u{…}` and `\\/`. Flags: `g` replaces every match (else only the first), `i`, `m`, `s`, and `u` (which changes
nothing here). SillyTavern reads only the flags `gmixXsuUAJ` (other letters make the whole text one bare pattern);
of those, JavaScript rejects `x X U A J`, which makes the script invalid.

Replacement follows SillyTavern, not JavaScript: `{{match}}` and `$0` are the whole match, `$1`…`$n` and `$<name>`
the groups (with the script's trim strings removed from them), anything else (`$&` …) is literal, and `{{char}}` /
`{{user}}` become the chat's names. Every match runs under a timeout, so a catastrophic pattern cannot hang a reply:
it raises `ScriptTimeout` and the caller leaves the text as it was.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import regex

from .models import SUBSTITUTE_ESCAPED, SUBSTITUTE_RAW, ScriptData

Where = Literal['stored', 'display', 'prompt']

_SLASHED = re.compile(r'(/?)(.+)\1([a-z]*)', re.IGNORECASE)
_VALID_FLAGS = re.compile(r'(?!.*?(.).*?\1)[gmixXsuUAJ]+')
_JS_FLAGS = frozenset('gimsu')
_MACRO = re.compile(r'\{\{(char|user)\}\}', re.IGNORECASE)
_MATCH_MACRO = re.compile(r'\{\{match\}\}', re.IGNORECASE)
_GROUP_REFERENCE = re.compile(r'\$(\d+)|\$<([^>]+)>')
_ASCII_CLASSES = {'d': '0-9', 'w': 'A-Za-z0-9_'}


class ScriptProblem(ValueError):
    """A find pattern that cannot be used; `code` names the translation `script.<code>`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class ScriptTimeout(TimeoutError):
    """A script's pattern took longer than allowed on one text."""


@dataclass(frozen=True)
class Names:
    """The names `{{char}}` and `{{user}}` stand for."""

    char: str = ''
    user: str = ''

    def fill(self, text: str, escape: bool = False) -> str:
        def name(match: re.Match[str]) -> str:
            value = self.char if match.group(1).lower() == 'char' else self.user
            return regex.escape(value) if escape else value
        return _MACRO.sub(name, text)


@dataclass(frozen=True)
class CompiledFind:
    pattern: regex.Pattern[str]
    replace_all: bool


def compile_find(script: ScriptData, names: Names) -> CompiledFind:
    """The script's find pattern, macros filled as the script asks, ready to run; raises `ScriptProblem`."""
    source = script.find_regex
    if script.substitute_regex == SUBSTITUTE_RAW:
        source = names.fill(source)
    elif script.substitute_regex == SUBSTITUTE_ESCAPED:
        source = names.fill(source, escape=True)
    pattern, flags = split_js_regex(source)
    return _compiled(pattern, flags)


def split_js_regex(source: str) -> tuple[str, str]:
    """`/pattern/flags` → (pattern, flags); anything else is a bare pattern. Mirrors SillyTavern's parsing,
    including that invalid flags make the whole text the pattern."""
    match = _SLASHED.search(source)
    if match is None:
        return source, ''
    pattern, flags = match.group(2), match.group(3)
    if flags and not _VALID_FLAGS.fullmatch(flags):
        return source, ''
    return pattern, flags


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, flags: str) -> CompiledFind:
    unsupported = sorted(set(flags) - _JS_FLAGS)
    if unsupported:
        raise ScriptProblem('bad_flags', flags=''.join(unsupported))
    options = regex.V0
    options |= regex.IGNORECASE if 'i' in flags else 0
    options |= regex.MULTILINE if 'm' in flags else 0
    options |= regex.DOTALL if 's' in flags else 0
    translated = translate_js_pattern(pattern, multiline='m' in flags)
    try:
        return CompiledFind(regex.compile(translated, options), replace_all='g' in flags)
    except regex.error as error:
        raise ScriptProblem('bad_regex', problem=str(error)) from None


def translate_js_pattern(pattern: str, *, multiline: bool) -> str:
    """A JavaScript pattern in the `regex` package's syntax (see the module docstring for what changes)."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == '\\' and index + 1 < len(pattern):
            text, index = _escape(pattern, index, in_class)
            out.append(text)
            continue
        if in_class:
            out.append('\\[' if char == '[' else char)
            in_class = char != ']'
        elif pattern.startswith('[^]', index):
            out.append(r'[\s\S]')
            index += 2
        elif pattern.startswith('[]', index):
            out.append('(?!)')
            index += 1
        elif char == '[':
            opening = '[^' if pattern.startswith('[^', index) else '['
            out.append(opening)
            index += len(opening) - 1
            in_class = True
        elif char == '$' and not multiline:
            out.append(r'\Z')
        else:
            out.append(char)
        index += 1
    return ''.join(out)


def _escape(pattern: str, index: int, in_class: bool) -> tuple[str, int]:
    """One escape sequence starting at `index` (a backslash): its translation and the index after it."""
    letter = pattern[index + 1]
    after = index + 2
    if letter == 'u' and pattern.startswith('{', after):
        end = pattern.find('}', after)
        digits = pattern[after + 1:end] if end > 0 else ''
        if re.fullmatch(r'[0-9a-fA-F]{1,6}', digits):
            return f'\\U{int(digits, 16):08x}', end + 1
    if letter == 'k' and pattern.startswith('<', after):
        end = pattern.find('>', after)
        if end > 0:
            return f'(?P={pattern[after + 1:end]})', end + 1
    if letter == '/':
        return '/', after
    if in_class:
        return _ASCII_CLASSES.get(letter, '\\' + letter), after
    if letter in 'dDwWbB':
        return f'(?a:\\{letter})', after
    return '\\' + letter, after


def run_script(script: ScriptData, text: str, names: Names, timeout: float) -> str:
    """The text after one script; raises `ScriptProblem` for a bad pattern and `ScriptTimeout` when too slow."""
    if script.disabled or not text:
        return text
    find = compile_find(script, names)
    template = _MATCH_MACRO.sub('$0', script.replace_string)
    trims = [names.fill(trim) for trim in script.trim_strings if trim]

    def replacement(match: regex.Match[str]) -> str:
        def group(reference: re.Match[str]) -> str:
            number, name = reference.group(1), reference.group(2)
            try:
                value = match.group(int(number)) if number is not None else match.group(name)
            except (IndexError, regex.error):
                return ''
            return _trimmed(value or '', trims)
        return names.fill(_GROUP_REFERENCE.sub(group, template))

    try:
        return find.pattern.sub(replacement, text, count=0 if find.replace_all else 1, timeout=timeout,
                                concurrent=True)
    except TimeoutError:
        raise ScriptTimeout(script.name) from None


def applies(script: ScriptData, where: Where, placement: int, depth: int | None = None) -> bool:
    """Whether the script runs here: on the stored text (neither "only" flag), on the display (`markdown_only`) or
    on the prompt (`prompt_only`), for this placement, within its depth limits when a depth is known."""
    if script.disabled or placement not in script.placement:
        return False
    if where == 'stored' and (script.markdown_only or script.prompt_only):
        return False
    if (where == 'display' and not script.markdown_only) or (where == 'prompt' and not script.prompt_only):
        return False
    if depth is None:
        return True
    if script.min_depth is not None and script.min_depth >= -1 and depth < script.min_depth:
        return False
    return not (script.max_depth is not None and depth > script.max_depth)


def run_all(scripts: Iterable[ScriptData], text: str, names: Names, timeout: float) -> tuple[str, list[str]]:
    """The text after each script in turn; a script that fails (bad pattern, too slow) is skipped. Returns the text
    and the names of the failed scripts, each with its reason."""
    failures = []
    for script in scripts:
        try:
            text = run_script(script, text, names, timeout)
        except ScriptTimeout:
            failures.append(f'{script.name}: timed out')
        except ScriptProblem as problem:
            failures.append(f'{script.name}: {problem.code} {problem.params}')
    return text, failures


def _trimmed(value: str, trims: list[str]) -> str:
    for trim in trims:
        value = value.replace(trim, '')
    return value
