import re
import string

import pytest

from app.i18n import I18N_DIR, pick_locale, table, translate

SAME_IN_BOTH = {'app.name'}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_area_file_exists_in_both_languages() -> None:
    assert sorted(p.name for p in (I18N_DIR / 'en').glob('*.json')) == \
        sorted(p.name for p in (I18N_DIR / 'zh-CN').glob('*.json'))


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    english, chinese = table('en'), table('zh-CN')
    assert set(english) - set(chinese) == set(), 'keys missing in zh-CN'
    assert set(chinese) - set(english) == set(), 'keys missing in en'
    for key, text in english.items():
        assert _placeholders(text) == _placeholders(chinese[key]), key


def test_chinese_texts_are_translated() -> None:
    english, chinese = table('en'), table('zh-CN')
    untranslated = [key for key, text in chinese.items()
                    if key not in SAME_IN_BOTH and re.search(r'[A-Za-z]{4,}', text) and text == english[key]]
    assert untranslated == []


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert translate('error.auth.rate_limited', 'zh-CN', minutes=3) == '登录失败次数过多。请在 3 分钟后重试。'
    assert translate('no.such.key', 'zh-CN') == 'no.such.key'
    assert translate('nav.library', 'fr') == 'Library'


@pytest.mark.parametrize(('choices', 'header', 'expected'), [
    ((None, None), 'zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'),
    ((None, 'en'), 'zh-CN', 'en'),
    (('zh-CN', 'en'), '', 'zh-CN'),
    ((None, 'xx'), 'de-DE', 'en'),
])
def test_locale_choice(choices: tuple, header: str, expected: str) -> None:
    assert pick_locale(*choices, accept_language=header) == expected
