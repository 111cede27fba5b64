"""Activation on real lorebooks from ../shared/compat: a message naming an entry's key fires that entry and the
report names the key; constants always come along; macros in the contents are expanded."""

from __future__ import annotations

import json
import random

from app.services.card_formats import CardFileLimits, read_card_file
from app.services.world_info import (
    Activation,
    BookSource,
    ScanInput,
    WorldBook,
    WorldInfoSettings,
    activate,
    book_from_character_book,
    book_from_st,
)
from tests.support.compat import COMPAT_DIR
from tests.support.compat_cards import card


def world(name: str) -> WorldBook:
    path = COMPAT_DIR / 'community/worlds' / f'{name}.json'
    return book_from_st(json.loads(path.read_text(encoding='utf-8')), name)


def scan_book(book: WorldBook, *messages: str, settings: WorldInfoSettings | None = None,
              substitute=lambda text: text) -> Activation:
    source = BookSource(book_id='compat', name=book.name, scope='character', entries=book.entries)
    return activate([source], ScanInput(messages=list(messages), chat_length=len(messages), max_context=200_000),
                    settings or WorldInfoSettings(), count_tokens=len, timed_state=None, rng=random.Random(7),
                    substitute=substitute)


def constant_uids(book: WorldBook) -> set[int]:
    return {entry.uid for entry in book.entries if entry.constant and not entry.disable}


def test_chinese_message_fires_entry_of_modu_guishi() -> None:
    book = world('魔都诡事')
    result = scan_book(book, '玩家：开始吧，/选择职业')
    by_uid = {item.uid: item for item in result.fired}
    assert by_uid[19].reason == 'key:/选择职业'
    assert by_uid[19].comment == '车卡环节'
    assert set(by_uid) == constant_uids(book) | {19}
    career = next(entry for entry in book.entries if entry.uid == 19)
    assert any(career.content in injection.text for injection in result.at_depth)
    assert all(item.reason == 'constant' for uid, item in by_uid.items() if uid != 19)


def test_chinese_keys_fire_with_whole_words_on() -> None:
    book = world('内地網文仙俠世界')
    settings = WorldInfoSettings(match_whole_words=True)
    result = scan_book(book, '{{user}}：师尊云归玄今天在哪里？', settings=settings)
    reasons = {item.uid: item.reason for item in result.fired}
    assert reasons[2] == 'key:云归玄'
    assert 3 not in reasons and 5 not in reasons
    assert set(reasons) == constant_uids(book) | {2}


def test_tarot_book_fires_the_named_suit_only() -> None:
    book = world('塔罗牌v1.3.0')
    reasons = {item.uid: item.reason for item in scan_book(book, '我抽到了一张圣杯').fired}
    assert reasons[6] == 'key:圣杯'
    assert {5, 7, 8}.isdisjoint(reasons)


def test_seraphina_card_book_expands_macros() -> None:
    seraphina = read_card_file(card('default_Seraphina.png').data(), 'default_Seraphina.png', CardFileLimits())
    book = book_from_character_book(seraphina.card['data']['character_book'])
    result = scan_book(book, 'Seraphina: Rest now.', 'User: Where am I? This forest is strange.',
                       substitute=lambda text: text.replace('{{user}}', 'Ann').replace('{{char}}', 'Seraphina'))
    assert [(item.uid, item.reason) for item in result.fired] == [(0, 'key:forest')]
    assert result.before.startswith('Ann: "What is Eldoria?"\nSeraphina:')
