"""Which chat format a file is in, and the chats it holds.

`.jsonl` files are SillyTavern chats (Chub's exports among them). Anything else is read as one JSON document and
recognised by its keys, in SillyTavern's order: KoboldAI Lite (`savedsettings`), CAI Tools (`histories`),
oobabooga (`data_visible`, `visible` or `internal`), Agnai (`messages`) and RisuAI (`type` "risuChat" or
"risuAllChats"). A JSON file holding a single SillyTavern line, and a file without a `.json` name that is not one JSON
document, are SillyTavern chats too. The whole file is decoded in one go, so the size limit is checked first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PureWindowsPath
from typing import Any

from ...errors import InvalidInputError
from .agnai import is_agnai, read_agnai
from .cai_tools import is_cai_tools, read_cai_tools
from .chub import is_chub
from .jsonl_reader import UNSTORABLE, decode_text, is_header, read_jsonl, refuse_constant, storable
from .kobold_lite import is_kobold_lite, read_kobold_lite
from .limits import ChatFileLimits
from .oobabooga import is_oobabooga, read_oobabooga
from .parsed_chat import ParsedChat, check_chats
from .risuai import is_risuai, read_risuai
from .st_header import created_at
from .st_message import from_st

Recognise = Callable[[dict[str, Any]], bool]
Read = Callable[[dict[str, Any]], list[ParsedChat]]
JSON_FORMATS: tuple[tuple[str, Recognise, Read], ...] = (
    ('kobold_lite', is_kobold_lite, read_kobold_lite), ('cai_tools', is_cai_tools, read_cai_tools),
    ('oobabooga', is_oobabooga, read_oobabooga), ('agnai', is_agnai, read_agnai), ('risuai', is_risuai, read_risuai))
ACCEPTED = ('SillyTavern and Chub chats (.jsonl), and CAI Tools, oobabooga, Agnai, KoboldAI Lite and RisuAI chats '
            '(.json)')


def read_chat_file(data: bytes, filename: str, limits: ChatFileLimits) -> list[ParsedChat]:
    """The chats in `data`, named `filename`; raises a TavernError saying what is wrong with the file."""
    if len(data) > limits.max_bytes:
        raise limits.too_large()
    suffix = PureWindowsPath(filename or '').suffix.lower()
    if suffix == '.jsonl':
        return [read_sillytavern(data, limits)]
    text = decode_text(data)
    document = _json_document(text)
    if isinstance(document, dict):
        return _read_json(document, limits)
    if document is None and (suffix != '.json' or not text.strip() or _first_line_is_object(text)):
        return [read_sillytavern(data, limits)]
    if document is None:
        raise InvalidInputError('error.chat_format.bad_json',
                                'This .json file is not valid JSON. Is it complete? Export the chat again.')
    raise unknown_format()


def read_sillytavern(data: bytes, limits: ChatFileLimits) -> ParsedChat:
    """A SillyTavern (or Chub) JSONL chat: header and messages kept as they were."""
    parsed = read_jsonl(data, limits)
    messages = [from_st(item, line) for line, item in parsed.messages]
    header = parsed.header
    speakers = {message.name for message in messages if message.role == 'assistant'}
    group = header is None or len(speakers) > 1 or any(item.get('is_group') for _, item in parsed.messages)
    return ParsedChat('chub' if is_chub(parsed.messages) else 'sillytavern', messages, header=header,
                      character_name=str((header or {}).get('character_name') or '').strip(),
                      started=created_at(header), group=group)


def unknown_format() -> InvalidInputError:
    return InvalidInputError('error.chat_format.unknown',
                             f'This file is not a chat this app can import. Accepted: {ACCEPTED}.')


def _read_json(document: dict[str, Any], limits: ChatFileLimits) -> list[ParsedChat]:
    for source_format, recognise, read in JSON_FORMATS:
        if recognise(document):
            return check_chats(read(document), source_format, limits)
    if 'mes' in document or is_header(document):
        return [read_sillytavern(json.dumps(document, ensure_ascii=False).encode(), limits)]
    raise unknown_format()


def _json_document(text: str) -> Any:
    """The file as one JSON value, or None when it is not one (a JSONL file, or broken JSON)."""
    try:
        document = json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        return None
    return storable(document) if UNSTORABLE.search(text) else document


def _first_line_is_object(text: str) -> bool:
    """Whether a file that is not one JSON document starts like JSONL (a SillyTavern chat saved as .json)."""
    first = next((line for line in text.split('\n') if line.strip()), '')
    return isinstance(_json_document(first), dict)
