"""The community SillyTavern chat files in ../shared/compat (read in place, never copied) and what each one holds,
as described in ../shared/compat/community/SOURCES.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compat import COMPAT_DIR

CHATS_DIR = COMPAT_DIR / 'community' / 'chats'


@dataclass(frozen=True)
class CompatChat:
    filename: str
    messages: int
    header: bool
    user_name: str | None = None
    character_name: str | None = None

    @property
    def path(self) -> Path:
        return CHATS_DIR / self.filename

    def data(self) -> bytes:
        return self.path.read_bytes()

    def objects(self) -> list[dict[str, Any]]:
        """Every line as a JSON object (header first, when there is one)."""
        return [json.loads(line) for line in self.data().decode('utf-8-sig').split('\n') if line.strip()]

    def message_objects(self) -> list[dict[str, Any]]:
        return self.objects()[1:] if self.header else self.objects()


COMPAT_CHATS = [
    CompatChat('2024-7-19@22h51m00s.jsonl', 34, header=False),
    CompatChat('GPT-4o_Branch_-_2024-6-14@07h53m40s.jsonl', 57, header=False),
    CompatChat('Dr._Ilya_Sutskever_-_2024-6-13_@20h_30m_23s_695ms.jsonl', 15, header=True, user_name='Melissa',
               character_name='Dr. Ilya Sutskever'),
    CompatChat('卡_-_2025-05-12@20h42m42s.jsonl', 26, header=True, user_name='{{user}}', character_name='卡'),
    CompatChat('快穿之满级攻略指南_-_2025-5-5_@07h_27m_50s_847ms_imported.jsonl', 5, header=True, user_name='常九',
               character_name='《快穿之满级攻略指南》'),
    CompatChat('Claude_-_2024-6-14@08h18m03s.jsonl', 10, header=True, user_name='Melissa', character_name='Claude'),
]
BY_NAME = {chat.filename: chat for chat in COMPAT_CHATS}


def compat_chat(prefix: str) -> CompatChat:
    """The compat chat whose file name starts with `prefix`."""
    (found,) = [chat for chat in COMPAT_CHATS if chat.filename.startswith(prefix)]
    return found
