"""A chat made ready for export: each message's speaker, time and safe XHTML, the document's language, the
character's avatar, and the texts of the export in the user's language. Both file builders read only this."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from plugins.sdk import ChatExportInput

from . import markup

KANA = re.compile('[\u3040-\u30ff]')
HANGUL = re.compile('[\uac00-\ud7af]')
HAN = re.compile('[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]')
LETTER = re.compile(r'[^\W\d_]')
CHINESE_SHARE = 0.1
"""The share of Han characters among all letters from which a chat counts as written in Chinese."""


@dataclass(frozen=True)
class Avatar:
    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return self.media_type.split('/')[-1].replace('jpeg', 'jpg')

    def data_uri(self) -> str:
        return f'data:{self.media_type};base64,{base64.b64encode(self.data).decode("ascii")}'


@dataclass(frozen=True)
class Entry:
    """One exported message."""

    seq: int
    role: str
    name: str
    html: str
    sent_at: datetime | None

    @property
    def initials(self) -> str:
        return initials_of(self.name)


@dataclass(frozen=True)
class Transcript:
    chat_id: str
    title: str
    character_name: str
    user_name: str
    language: str
    entries: list[Entry]
    avatar: Avatar | None
    show_times: bool
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def first_time(self) -> datetime | None:
        times = [entry.sent_at for entry in self.entries if entry.sent_at is not None]
        return min(times) if times else None

    @property
    def last_time(self) -> datetime | None:
        times = [entry.sent_at for entry in self.entries if entry.sent_at is not None]
        return max(times) if times else None

    def subtitle(self) -> str:
        """"Mira · 12 messages · 2026-11-01 – 2026-11-23"."""
        parts = [self.character_name, self.texts['messages'].format(count=len(self.entries))]
        first, last = self.first_time, self.last_time
        if first is not None and last is not None:
            span = f'{first:%Y-%m-%d}' if first.date() == last.date() else f'{first:%Y-%m-%d} – {last:%Y-%m-%d}'
            parts.append(span)
        return ' · '.join(parts)


def build_transcript(given: ChatExportInput, *, texts: dict[str, str], avatar: Avatar | None,
                     include_notes: bool, show_times: bool) -> Transcript:
    """The chat's messages (hidden notes only when `include_notes`) with their markdown rendered."""
    chat = given.chat
    entries = [Entry(seq=message.seq, role=message.role, name=_speaker(message.role, message.name, chat.character_name,
                                                                      chat.user_name, texts['note']),
                     html=markup.render(message.content), sent_at=_utc(message.created_at))
               for message in given.messages if include_notes or message.role != 'system']
    language = content_language([message.content for message in given.messages], chat.locale)
    return Transcript(chat_id=chat.id, title=given.title or chat.character_name, character_name=chat.character_name,
                      user_name=chat.user_name, language=language, entries=entries, avatar=avatar,
                      show_times=show_times, texts=texts)


def content_language(texts: list[str], fallback: str) -> str:
    """The language tag the text is mostly in, as far as the script tells (Japanese by kana, Korean by hangul,
    Chinese by Han characters); otherwise the user's own locale."""
    sample = ''.join(texts)[:20_000]
    if KANA.search(sample):
        return 'ja'
    if HANGUL.search(sample):
        return 'ko'
    letters = len(LETTER.findall(sample))
    if letters and len(HAN.findall(sample)) / letters >= CHINESE_SHARE:
        return 'zh-CN'
    return fallback or 'en'


def initials_of(name: str) -> str:
    """The letter shown instead of a picture: the name's first character (one Chinese character is a whole
    name's worth), or a dot."""
    letters = name.strip().lstrip('/')
    return letters[:1].upper() if letters else '•'


def _speaker(role: str, name: str, character: str, user: str, note: str) -> str:
    if name:
        return name
    return {'assistant': character, 'user': user}.get(role, note)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
