"""KoboldAI Lite saves (`.json`): the story text as `prompt` plus `actions[]`, with the chat names in `savedsettings`
(`chatname` is the user, `chatopponent` the character, several separated by `||$||`) and the author's note in
`authorsnote`.

Lite marks turns in two ways. Instruct mode puts `{{[INPUT]}}` before the user's text and `{{[OUTPUT]}}` before the
reply (often in the same action as the user's text, the reply following in the next action); chat mode writes
`\\nName: text` lines. Both are read here: a marker or a line starting with a known speaker's name begins a new
message, anything else continues the current one (a reply continued in a second action stays one message). Image
tags are dropped; the author's note becomes the chat's Author's Note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .parsed_chat import ParsedChat, message

FORMAT = 'kobold_lite'
OPPONENT_SEPARATOR = '||$||'
MARKER = re.compile(r'\{\{\[(INPUT|OUTPUT|SYSTEM|INPUT_END|OUTPUT_END|SYSTEM_END)\]\}\}')
IMAGE_TAG = re.compile(r'\[<\|[ph]\|.*?\|[ph]\|>\]', re.DOTALL)
MARKER_ROLES = {'INPUT': 'user', 'OUTPUT': 'assistant', 'SYSTEM': 'system'}
USER_MACRO = '{{user}}'


@dataclass
class _Draft:
    role: str
    name: str = ''
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return ''.join(self.parts).strip()


def is_kobold_lite(document: dict[str, Any]) -> bool:
    return 'savedsettings' in document


def read_kobold_lite(document: dict[str, Any]) -> list[ParsedChat]:
    settings = document['savedsettings'] if isinstance(document['savedsettings'], dict) else {}
    user = str(settings.get('chatname') or '').strip()
    opponents = [name.strip() for name in str(settings.get('chatopponent') or '').split(OPPONENT_SEPARATOR)
                 if name.strip()]
    speaker = _speaker_pattern([user, USER_MACRO, *opponents])
    drafts: list[_Draft] = []
    for chunk in _chunks(document):
        _read_chunk(IMAGE_TAG.sub('', chunk), drafts, speaker, {user, USER_MACRO})
    messages = [message(draft.role, draft.text, name=draft.name) for draft in drafts if draft.text]
    note = document.get('authorsnote')
    metadata = {'note_prompt': note} if isinstance(note, str) and note.strip() else {}
    speakers = {item.name for item in messages if item.role == 'assistant' and item.name}
    return [ParsedChat(FORMAT, messages, character_name=opponents[0] if opponents else '', chat_metadata=metadata,
                       group=len(speakers) > 1)]


def _chunks(document: dict[str, Any]) -> list[str]:
    actions = document.get('actions') if isinstance(document.get('actions'), list) else []
    return [chunk for chunk in [document.get('prompt'), *actions] if isinstance(chunk, str)]


def _speaker_pattern(names: list[str]) -> re.Pattern[str] | None:
    """`Name:` at the start of a line, for each known speaker (longest names first, so "Ann Lee" beats "Ann")."""
    known = sorted({name for name in names if name}, key=len, reverse=True)
    if not known:
        return None
    return re.compile(r'^(' + '|'.join(re.escape(name) for name in known) + r'):[ \t]?')


def _read_chunk(chunk: str, drafts: list[_Draft], speaker: re.Pattern[str] | None, users: set[str]) -> None:
    position = 0
    for marker in MARKER.finditer(chunk):
        _read_text(chunk[position:marker.start()], drafts, speaker, users)
        kind = marker.group(1)
        drafts.append(_Draft(MARKER_ROLES[kind]) if kind in MARKER_ROLES else _Draft('assistant'))
        position = marker.end()
    _read_text(chunk[position:], drafts, speaker, users)


def _read_text(text: str, drafts: list[_Draft], speaker: re.Pattern[str] | None, users: set[str]) -> None:
    for line in text.splitlines(keepends=True):
        named = speaker.match(line) if speaker else None
        if named:
            name = named.group(1)
            role = 'user' if name in users else 'assistant'
            current = drafts[-1] if drafts else None
            if current is None or current.text or current.role != role:
                drafts.append(_Draft(role))
            drafts[-1].name = '' if role == 'user' else name
            drafts[-1].parts.append(line[named.end():])
            continue
        if not drafts:
            drafts.append(_Draft('assistant'))
        drafts[-1].parts.append(line)
