"""The variable macros (`{{getvar::n}}`, `{{setvar::n::v}}`, `{{addvar::n::v}}`, `{{incvar::n}}`, `{{decvar::n}}`
and their `globalvar` twins) with SillyTavern's JavaScript number semantics.

SillyTavern keeps chat variables in `chat_metadata.variables` as strings or numbers: `setvar` stores the text as
given, `addvar` adds when both sides read as numbers and appends text otherwise (or pushes onto a JSON array),
`incvar`/`decvar` add ±1 and print the new value. Each line is handled on its own, every `getvar` of a line before
its `setvar`s, exactly in SillyTavern's order, so cards written for it behave the same.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

_DECIMAL = re.compile(r'[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?')
_PREFIXED = re.compile(r'0([xob])([0-9a-f]+)', re.IGNORECASE)
_BASES = {'x': 16, 'o': 8, 'b': 2}
_MAX_SAFE_INTEGER = 2**53


def js_number(value: Any) -> float:
    """`Number(value)` in JavaScript: numbers stay, numeric text is parsed, anything else is NaN."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return math.nan
    text = value.strip()
    if not text:
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text)
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed:
        try:
            return float(int(prefixed.group(2), _BASES[prefixed.group(1).lower()]))
        except ValueError:
            return math.nan
    if text.lstrip('+-') == 'Infinity':
        return -math.inf if text.startswith('-') else math.inf
    return math.nan


def js_string(value: Any) -> str:
    """`String(value)` in JavaScript, for what variables can hold."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float):
        if math.isnan(value):
            return 'NaN'
        if math.isinf(value):
            return 'Infinity' if value > 0 else '-Infinity'
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return re.sub(r'e([+-])0*(\d)', r'e\1\2', repr(value))
    if isinstance(value, list):
        return ','.join(js_string(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(',', ':'))
    return str(value)


def _stored_number(value: float) -> int | float:
    """Whole numbers are kept as JSON integers, as `JSON.stringify` writes them."""
    return int(value) if value.is_integer() and abs(value) < _MAX_SAFE_INTEGER else value


def read_variable(store: dict[str, Any], name: str) -> Any:
    """The value as SillyTavern reads it: numeric text becomes a number, a missing variable is ''."""
    value = store.get(name)
    if isinstance(value, str) and not value.strip():
        return value
    number = js_number(value)
    if math.isnan(number):
        return value or ''
    return _stored_number(number)


def add_to_variable(store: dict[str, Any], name: str, value: Any) -> Any:
    """`addvar`: add numbers, append text, or push onto a JSON array held as text; returns the new value."""
    current = read_variable(store, name) or 0
    if isinstance(current, str):
        try:
            parsed = json.loads(current)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            parsed.append(value)
            store[name] = json.dumps(parsed, ensure_ascii=False, separators=(',', ':'))
            return parsed
    increment, base = js_number(value), js_number(current)
    if math.isnan(increment) or math.isnan(base):
        text = js_string(current or '') + js_string(value)
        store[name] = text
        return text
    total = base + increment
    if math.isnan(total):
        return ''
    store[name] = _stored_number(total)
    return store[name]


def _set(store: dict[str, Any], name: str, value: str) -> str:
    store[name] = value
    return ''


def _added(store: dict[str, Any], name: str, value: str) -> str:
    add_to_variable(store, name, value)
    return ''


def _rules(local: dict[str, Any], shared: dict[str, Any]) -> list[tuple[re.Pattern[str], Callable[..., str]]]:
    rules: list[tuple[re.Pattern[str], Callable[..., str]]] = []
    for scope, store in (('', local), ('global', shared)):
        def bound(action: Callable[..., Any], store: dict[str, Any] = store) -> Callable[..., str]:
            return lambda match: js_string(action(store, match.group(1).strip(), *match.groups()[1:]))
        rules += [
            (re.compile(rf'\{{\{{get{scope}var::([^}}]+)\}}\}}', re.IGNORECASE),
             bound(lambda store, name: read_variable(store, name))),
            (re.compile(rf'\{{\{{set{scope}var::([^:]+)::([^}}]+)\}}\}}', re.IGNORECASE), bound(_set)),
            (re.compile(rf'\{{\{{add{scope}var::([^:]+)::([^}}]+)\}}\}}', re.IGNORECASE), bound(_added)),
            (re.compile(rf'\{{\{{inc{scope}var::([^}}]+)\}}\}}', re.IGNORECASE),
             bound(lambda store, name: add_to_variable(store, name, 1))),
            (re.compile(rf'\{{\{{dec{scope}var::([^}}]+)\}}\}}', re.IGNORECASE),
             bound(lambda store, name: add_to_variable(store, name, -1))),
        ]
    return rules


def replace_variable_macros(text: str, local: dict[str, Any], shared: dict[str, Any]) -> str:
    """Expand the variable macros of `text` line by line, changing `local`/`shared` as they say."""
    rules = _rules(local, shared)
    lines = text.split('\n')
    for index, line in enumerate(lines):
        if '{{' not in line:
            continue
        for pattern, replace in rules:
            line = pattern.sub(replace, line)
        lines[index] = line
    return '\n'.join(lines)
