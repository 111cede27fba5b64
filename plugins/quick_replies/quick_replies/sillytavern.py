"""SillyTavern Quick Reply files, in and out.

Two shapes exist. The legacy (v1) preset, e.g. SillyTavern's `presets/quick-replies/Default.json`:
`{"name", "quickReplySlots": [{"mes", "label", "enabled"}]}`. The current (v2) set file: `{"version": 2, "name",
"disableSend", "qrList": [{"label", "title", "message", "isHidden", ...}]}` — `disableSend` means a click only puts
the message in the input. Hidden or disabled entries and entries without a message are left out; a reply without a
label is labelled by its title or the start of its message. Fields this app has no use for (automation triggers,
icons, colours) are dropped.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from .models import MAX_REPLIES, QuickReply, SetData

LABEL_LENGTH = 80


class ImportProblem(ValueError):
    """The file is not a quick reply set; `code` names the translation `import.<code>`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def read_set_file(raw: bytes, file_name: str) -> SetData:
    """A set from a SillyTavern Quick Reply file (either shape); named after the file when it names itself not."""
    try:
        data = json.loads(raw.decode('utf-8-sig'))
    except (UnicodeDecodeError, ValueError):
        raise ImportProblem('not_json', file=file_name) from None
    if not isinstance(data, dict):
        raise ImportProblem('not_a_set', file=file_name)
    if isinstance(data.get('qrList'), list):
        entries = [(item.get('label'), item.get('message'), item.get('title')) for item in data['qrList']
                   if isinstance(item, dict) and not item.get('isHidden')]
        insert_only = bool(data.get('disableSend'))
    elif isinstance(data.get('quickReplySlots'), list):
        entries = [(item.get('label'), item.get('mes'), '') for item in data['quickReplySlots']
                   if isinstance(item, dict) and item.get('enabled', True)]
        insert_only = False
    else:
        raise ImportProblem('not_a_set', file=file_name)
    name = str(data.get('name') or '').strip() or file_name.rsplit('.', 1)[0] or 'Quick replies'
    try:
        replies = [_reply(label, message, title) for label, message, title in entries
                   if isinstance(message, str) and message.strip()]
        if not replies:
            raise ImportProblem('empty', file=file_name)
        return SetData(name=name[:100], insert_only=insert_only, replies=replies[:MAX_REPLIES])
    except ValidationError as error:
        raise ImportProblem('invalid', file=file_name, problem=error.errors()[0]['msg']) from None


def write_set_file(data: SetData) -> bytes:
    """The set as a SillyTavern v2 Quick Reply file, so it can go back to SillyTavern."""
    replies = [{'id': number, 'label': reply.label, 'title': reply.title, 'message': reply.message,
                'showLabel': True, 'isHidden': False} for number, reply in enumerate(data.replies, start=1)]
    document = {'version': 2, 'name': data.name, 'disableSend': data.insert_only, 'placeBeforeInput': False,
                'injectInput': False, 'qrList': replies, 'idIndex': len(replies)}
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _reply(label: Any, message: str, title: Any) -> QuickReply:
    title = title.strip() if isinstance(title, str) else ''
    label = label.strip() if isinstance(label, str) else ''
    fallback = title or message.strip().splitlines()[0]
    return QuickReply(label=(label or fallback)[:LABEL_LENGTH], message=message, title=title[:200])
