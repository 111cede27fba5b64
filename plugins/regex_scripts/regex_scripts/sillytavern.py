"""SillyTavern regex script files, in and out.

A script is `{id, scriptName, findRegex, replaceString, trimStrings, placement, disabled, markdownOnly, promptOnly,
runOnEdit, substituteRegex, minDepth, maxDepth}`. Imports accept one script, a list of them, or a character card (JSON,
or PNG with the card in its `ccv3`/`chara` text chunk) whose `data.extensions.regex_scripts` holds them — those stay
scoped to the card's character, as in SillyTavern. Old placement numbers are updated as SillyTavern does: 0 (markdown
display) becomes "display and prompt only", 4 (send-as) becomes 3 (slash commands).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import struct
import zlib
from typing import Any

from pydantic import ValidationError

from .models import SLASH_COMMAND, ScriptData

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
CARD_CHUNKS = ('ccv3', 'chara')
LEGACY_MARKDOWN_DISPLAY = 0
LEGACY_SEND_AS = 4


class ImportProblem(ValueError):
    """The file holds no usable scripts; `code` names the translation `import.<code>`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def read_scripts_file(raw: bytes, file_name: str) -> list[ScriptData]:
    """The scripts in a SillyTavern regex file or a character card; raises `ImportProblem`."""
    document = _card_from_png(raw, file_name) if raw.startswith(PNG_SIGNATURE) else _json(raw, file_name)
    items, character = _script_items(document)
    if items is None:
        raise ImportProblem('no_scripts', file=file_name)
    scripts = []
    for number, item in enumerate(items, start=1):
        try:
            scripts.append(from_sillytavern(item, character))
        except (ValidationError, TypeError, ValueError) as error:
            raise ImportProblem('bad_script', file=file_name, number=number, problem=_reason(error)) from None
    if not scripts:
        raise ImportProblem('no_scripts', file=file_name)
    return scripts


def from_sillytavern(item: Any, character_name: str = '') -> ScriptData:
    if not isinstance(item, dict):
        raise TypeError('a script must be a JSON object')
    placement = [int(value) for value in item.get('placement') or []]
    markdown_only, prompt_only = bool(item.get('markdownOnly')), bool(item.get('promptOnly'))
    if LEGACY_MARKDOWN_DISPLAY in placement:
        placement.remove(LEGACY_MARKDOWN_DISPLAY)
        markdown_only = prompt_only = True
    placement = [SLASH_COMMAND if value == LEGACY_SEND_AS else value for value in placement]
    return ScriptData(name=str(item.get('scriptName') or 'Unnamed script'), find_regex=item.get('findRegex') or '',
                      replace_string=item.get('replaceString') or '',
                      trim_strings=[str(trim) for trim in item.get('trimStrings') or []], placement=placement,
                      disabled=bool(item.get('disabled')), markdown_only=markdown_only, prompt_only=prompt_only,
                      run_on_edit=bool(item.get('runOnEdit', True)),
                      substitute_regex=int(item.get('substituteRegex') or 0),
                      min_depth=_depth(item.get('minDepth')), max_depth=_depth(item.get('maxDepth')),
                      character_name=character_name, source_id=str(item.get('id') or '')[:100])


def to_sillytavern(script: ScriptData) -> dict[str, Any]:
    return {'id': script.source_id, 'scriptName': script.name, 'findRegex': script.find_regex,
            'replaceString': script.replace_string, 'trimStrings': script.trim_strings,
            'placement': script.placement, 'disabled': script.disabled, 'markdownOnly': script.markdown_only,
            'promptOnly': script.prompt_only, 'runOnEdit': script.run_on_edit,
            'substituteRegex': script.substitute_regex, 'minDepth': script.min_depth, 'maxDepth': script.max_depth}


def write_scripts_file(scripts: list[ScriptData]) -> bytes:
    """A JSON list of SillyTavern scripts (SillyTavern imports such a list, or each script on its own)."""
    return json.dumps([to_sillytavern(script) for script in scripts], ensure_ascii=False, indent=2).encode()


def _script_items(document: Any) -> tuple[list[Any] | None, str]:
    """The script objects in a document, and the character they belong to (empty unless it is a card)."""
    if isinstance(document, list):
        return document, ''
    if not isinstance(document, dict):
        return None, ''
    if 'findRegex' in document:
        return [document], ''
    data = document.get('data') if isinstance(document.get('data'), dict) else document
    extensions = data.get('extensions')
    scripts = extensions.get('regex_scripts') if isinstance(extensions, dict) else None
    if not isinstance(scripts, list):
        return None, ''
    return scripts, str(data.get('name') or '').strip()


def _json(raw: bytes, file_name: str) -> Any:
    try:
        return json.loads(raw.decode('utf-8-sig'))
    except (UnicodeDecodeError, ValueError):
        raise ImportProblem('not_json', file=file_name) from None


def _card_from_png(raw: bytes, file_name: str) -> Any:
    """The card JSON in a PNG's `ccv3` (preferred) or `chara` text chunk (base64 of UTF-8 JSON)."""
    chunks = _text_chunks(raw)
    for keyword in CARD_CHUNKS:
        if keyword in chunks:
            try:
                return json.loads(base64.b64decode(chunks[keyword]).decode('utf-8'))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise ImportProblem('bad_card', file=file_name) from None
    raise ImportProblem('no_scripts', file=file_name)


def _text_chunks(raw: bytes) -> dict[str, bytes]:
    chunks: dict[str, bytes] = {}
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(raw):
        length, kind = struct.unpack('>I4s', raw[position:position + 8])
        body = raw[position + 8:position + 8 + length]
        if kind == b'tEXt' and b'\0' in body:
            keyword, _, text = body.partition(b'\0')
            chunks[keyword.decode('latin-1').lower()] = text
        elif kind == b'zTXt' and b'\0' in body:
            keyword, _, packed = body.partition(b'\0')
            with contextlib.suppress(zlib.error):
                chunks[keyword.decode('latin-1').lower()] = zlib.decompress(packed[1:])
        elif kind == b'IEND':
            break
        position += 12 + length
    return chunks


def _depth(value: Any) -> int | None:
    if value is None or value == '':
        return None
    return int(value)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f'{".".join(str(part) for part in first["loc"])}: {first["msg"]}'
    return str(error)
