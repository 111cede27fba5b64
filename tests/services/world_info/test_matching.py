"""Keyword matching like SillyTavern's `matchKeys`: JavaScript regex keys, case, whole words (including Chinese
text, where JavaScript's ASCII-only `\\W` makes every Chinese character a word boundary)."""

from __future__ import annotations

import pytest

from app.services.world_info.matching import compile_js_regex, match_key, parse_regex_key


def plain(text: str, key: str, *, case_sensitive: bool = False, whole_words: bool = False) -> bool:
    return match_key(text, key, case_sensitive=case_sensitive, whole_words=whole_words)


def test_plain_keys_are_substrings_ignoring_case_by_default() -> None:
    assert plain('\x01Alice: I saw a DRAGON', 'dragon')
    assert not plain('\x01Alice: I saw a DRAGON', 'dragon', case_sensitive=True)
    assert plain('\x01Alice: dragonfly', 'dragon')


def test_whole_words_for_single_and_multi_word_keys() -> None:
    assert not plain('\x01a dragonfly', 'dragon', whole_words=True)
    assert plain('\x01a dragon, flying', 'dragon', whole_words=True)
    assert plain('dragon', 'dragon', whole_words=True)
    assert not plain('\x01snake_dragon', 'dragon', whole_words=True)
    # keys of several words are plain substrings even with whole words on
    assert plain('\x01the red dragonfly', 'red dragon', whole_words=True)


def test_whole_words_for_chinese_keys_match_like_javascript() -> None:
    # JavaScript's \W is ASCII-only, so "爱" and "天" are boundaries and the key matches inside Chinese text
    assert plain('\x01我爱北京天安门', '北京', whole_words=True)
    assert plain('\x01北京', '北京', whole_words=True)
    # but an ASCII letter or digit next to the key is a word character
    assert not plain('\x01去A北京', '北京', whole_words=True)
    assert not plain('\x01北京2号', '北京', whole_words=True)
    assert plain('\x01Привет, мир', 'мир', whole_words=True)


@pytest.mark.parametrize(('key', 'text', 'expected'), [
    ('/dra(g|k)on/i', 'The DRAKON', True),
    ('/^\\x01Bob:/m', 'x\n\x01Bob: hi', True),
    ('/^Bob/', '\x01Bob: hi', False),
    ('/\\bcat\\b/', '我的cat很乖', True),
    ('/\\w+猫/', '小猫', False),
    ('/end$/', 'the end\n', False),
    ('/end$/m', 'the end\nnext', True),
    ('/(?<word>ab)\\k<word>/', 'xxababyy', True),
    ('/a[^]b/', 'a\nb', True),
    ('/a.b/', 'a\nb', False),
    ('/a.b/s', 'a\nb', True),
    ('/\\d{3}/', '١٢٣', False),
    ('/\\u{1F600}/u', 'smile 😀', True),
    ('/[[]x/', 'a[x', True),
    ('/path\\/to/', 'the path/to it', True),
])
def test_regex_keys_follow_javascript(key: str, text: str, expected: bool) -> None:
    assert parse_regex_key(key) is not None
    assert plain(text, key) is expected


@pytest.mark.parametrize('key', ['/unclosed(/', '/a/b/', '/x/gg', '/(?<=a/', '/[/'])
def test_broken_regex_keys_never_raise(key: str) -> None:
    assert parse_regex_key(key) is None
    assert plain('some text (with a/b and [', key) is False


def test_broken_regex_key_is_plain_text_like_sillytavern() -> None:
    assert parse_regex_key('/a/b/') is None
    assert plain('see /a/b/ here', '/a/b/')


def test_regex_keys_ignore_case_setting() -> None:
    assert not match_key('DRAGON', '/dragon/', case_sensitive=False, whole_words=True)
    assert match_key('DRAGON', '/dragon/i', case_sensitive=True, whole_words=False)


def test_sticky_flag_anchors_at_the_start() -> None:
    pattern = compile_js_regex('b', 'y')
    assert pattern is not None
    assert pattern.search('abc') is None
    assert pattern.search('bc') is not None


def test_a_catastrophically_backtracking_regex_key_gives_up_instead_of_hanging_the_server() -> None:
    evil = '/(a+)+$/'
    assert parse_regex_key(evil) is not None
    assert not match_key('a' * 40 + '!', evil, case_sensitive=False, whole_words=False)
    assert match_key('aaa', evil, case_sensitive=False, whole_words=False)
