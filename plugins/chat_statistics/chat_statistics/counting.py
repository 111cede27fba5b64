"""Counting words and characters, and the statistics of a list of messages.

Words are counted the way a reader of each language would: Chinese and Japanese do not separate words with spaces,
so each Han character and each kana counts as one word; elsewhere (Latin, Cyrillic, Korean …) a word is a run of
letters or digits, with inner apostrophes and hyphens (`don't`, `well-known`). Characters are every character that
is not white space, so a Chinese sentence is not inflated by spaces it does not have and an English one is not
padded by the spaces it has. Hidden notes (role `system`) are left out of every statistic.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

CJK_CHARS = '\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff'
WORD = re.compile(f'[{CJK_CHARS}]|[^\\W{CJK_CHARS}]+(?:[\'’-][^\\W{CJK_CHARS}]+)*')
WHITESPACE = re.compile(r'\s')
EXCERPT = 140


class Message(Protocol):
    """What the statistics read of a message (the SDK's `ChatMessageView` has it)."""

    id: int
    role: str
    name: str
    content: str
    created_at: datetime | None


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def count_characters(text: str) -> int:
    return len(WHITESPACE.sub('', text))


@dataclass
class Speaker:
    name: str
    role: str
    messages: int = 0
    words: int = 0
    characters: int = 0

    @property
    def average_words(self) -> float:
        return self.words / self.messages if self.messages else 0.0


@dataclass(frozen=True)
class Longest:
    chat_id: str
    message_id: int
    speaker: str
    words: int
    characters: int
    excerpt: str


@dataclass
class Stats:
    """The statistics of one chat, or (merged) of many."""

    speakers: dict[tuple[str, str], Speaker] = field(default_factory=dict)
    per_day: Counter[date] = field(default_factory=Counter)
    longest: Longest | None = None
    chats: int = 0

    @property
    def messages(self) -> int:
        return sum(speaker.messages for speaker in self.speakers.values())

    @property
    def words(self) -> int:
        return sum(speaker.words for speaker in self.speakers.values())

    @property
    def characters(self) -> int:
        return sum(speaker.characters for speaker in self.speakers.values())

    @property
    def average_reply_words(self) -> float:
        """Average words of the characters' replies."""
        replies = [speaker for speaker in self.speakers.values() if speaker.role == 'assistant']
        count = sum(speaker.messages for speaker in replies)
        return sum(speaker.words for speaker in replies) / count if count else 0.0

    def ranked_speakers(self) -> list[Speaker]:
        return sorted(self.speakers.values(), key=lambda speaker: (-speaker.messages, speaker.name))

    def add(self, chat_id: str, message: Message, fallback_names: dict[str, str]) -> None:
        if message.role == 'system':
            return
        name = message.name or fallback_names.get(message.role, message.role)
        speaker = self.speakers.setdefault((message.role, name), Speaker(name, message.role))
        words, characters = count_words(message.content), count_characters(message.content)
        speaker.messages += 1
        speaker.words += words
        speaker.characters += characters
        if message.created_at is not None:
            self.per_day[message.created_at.date()] += 1
        if self.longest is None or characters > self.longest.characters:
            self.longest = Longest(chat_id, message.id, name, words, characters, _excerpt(message.content))

    def merge(self, other: Stats) -> None:
        for key, speaker in other.speakers.items():
            mine = self.speakers.setdefault(key, Speaker(speaker.name, speaker.role))
            mine.messages += speaker.messages
            mine.words += speaker.words
            mine.characters += speaker.characters
        self.per_day.update(other.per_day)
        if other.longest is not None and (self.longest is None or other.longest.characters > self.longest.characters):
            self.longest = other.longest
        self.chats += other.chats


def chat_stats(chat_id: str, messages: list[Message], fallback_names: dict[str, str]) -> Stats:
    stats = Stats(chats=1)
    for message in messages:
        stats.add(chat_id, message, fallback_names)
    return stats


def _excerpt(text: str) -> str:
    flat = ' '.join(text.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT - 1] + '…'
