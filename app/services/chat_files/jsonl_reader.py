"""Split a SillyTavern chat file into its optional header line and its message objects, refusing malformed input.

SillyTavern writes one JSON object per line: a header (`user_name`, `character_name`, `create_date`,
`chat_metadata`) and then the messages. Old group chats have no header at all. Files arrive with LF or CRLF, with or
without a trailing newline and sometimes with a byte-order mark; all of that is accepted. Lines are split on `\\n`
only, because a JSON string may legally hold U+2028 or other characters that `str.splitlines` would break on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidInputError
from .limits import ChatFileLimits

HEADER_KEYS = frozenset({'user_name', 'character_name', 'chat_metadata'})
UNSTORABLE = re.compile(r'\\u0000|\\u[dD][89a-fA-F]')  # NUL and lone surrogates: no database stores them
SURROGATE = re.compile('[\ud800-\udfff]')


@dataclass
class StChatFile:
    """A parsed file: the header object (None when the file has none) and `(line number, message object)` pairs."""

    header: dict[str, Any] | None
    messages: list[tuple[int, dict[str, Any]]]


def read_jsonl(data: bytes, limits: ChatFileLimits) -> StChatFile:
    """Parse a chat file; raises a TavernError naming the first line that is not a JSON object."""
    if len(data) > limits.max_bytes:
        raise limits.too_large()
    lines = decode_text(data).rstrip('\r\n').split('\n')
    if len(lines) > limits.max_lines:
        raise InvalidInputError('error.chat_file.too_many_lines',
                                f'The chat file has more than {limits.max_lines} lines.', limit=limits.max_lines)
    objects = [(number, _parse_line(line.removesuffix('\r'), number, limits))
               for number, line in enumerate(lines, start=1) if line.strip()]
    if not objects:
        raise InvalidInputError('error.chat_file.empty', 'The chat file is empty. Choose a SillyTavern chat (.jsonl).')
    first = objects[0][1]
    if is_header(first):
        return StChatFile(header=first, messages=objects[1:])
    return StChatFile(header=None, messages=objects)


def is_header(item: dict[str, Any]) -> bool:
    return 'mes' not in item and not HEADER_KEYS.isdisjoint(item)


def decode_text(data: bytes) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    try:
        if data.startswith((b'\xff\xfe', b'\xfe\xff')):
            return data.decode('utf-16')
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        raise InvalidInputError('error.chat_file.not_text',
                                'The chat file is not UTF-8 text. Choose a SillyTavern chat (.jsonl).') from error


def _parse_line(line: str, number: int, limits: ChatFileLimits) -> dict[str, Any]:
    if len(line) > limits.max_line_chars:
        raise InvalidInputError('error.chat_file.line_too_long',
                                f'Line {number} is longer than {limits.max_line_chars} characters.',
                                line=number, limit=limits.max_line_chars)
    try:
        item = json.loads(line, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        item = None
    if not isinstance(item, dict):
        raise InvalidInputError('error.chat_file.bad_line',
                                f'Line {number} is not a JSON object. Each line of a SillyTavern chat is one '
                                'message.', line=number)
    return storable(item) if UNSTORABLE.search(line) else item


def refuse_constant(name: str) -> None:
    """`json.loads` hook: NaN and Infinity are JavaScript, not JSON."""
    raise ValueError(f'{name} is not JSON')


def storable(value: Any) -> Any:
    """Drop NUL characters and replace lone surrogates, which neither SQLite nor PostgreSQL text can hold."""
    if isinstance(value, str):
        return SURROGATE.sub('\ufffd', value.replace('\x00', ''))
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value
