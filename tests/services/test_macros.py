import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.services.macros import MacroContext, humanize, substitute_macros

FRIDAY_AFTERNOON = datetime(2024, 10, 18, 15, 5, 9, tzinfo=timezone(timedelta(hours=8)))


def context(**values: object) -> MacroContext:
    base: dict[str, object] = {'user': 'Alex', 'char': 'Mira', 'now': FRIDAY_AFTERNOON, 'rng': random.Random(7),
                               'chat_id_hash': 1234}
    return MacroContext(**(base | values))  # type: ignore[arg-type]


def test_names_and_legacy_tags_in_any_case() -> None:
    text = '<USER> <user> <BOT> <CHAR> {{user}} {{User}} {{CHAR}} {{char}} <GROUP> <CHARIFNOTGROUP> {{group}}'
    assert substitute_macros(text, context()) == 'Alex Alex Mira Mira Alex Alex Mira Mira Mira Mira Mira'
    assert substitute_macros('{{group}} / <GROUP>', context(group='Mira, Bob')) == 'Mira, Bob / Mira, Bob'


def test_card_fields_are_filled_before_the_names_inside_them() -> None:
    ctx = context(description='{{char}} keeps the light for {{user}}.', personality='gruff', scenario='A storm.',
                  persona='{{user}} is a sailor.', mes_examples='<START>', char_version='2.1', model='llama-3',
                  char_prompt='Main override', char_jailbreak='PHI')
    text = ('{{description}}|{{personality}}|{{scenario}}|{{persona}}|{{mesExamples}}|{{charVersion}}|'
            '{{char_version}}|{{model}}|{{charPrompt}}|{{charJailbreak}}|{{charIfNotGroup}}')
    assert substitute_macros(text, ctx) == ('Mira keeps the light for Alex.|gruff|A storm.|Alex is a sailor.|<START>|'
                                            '2.1|2.1|llama-3|Main override|PHI|Mira')


def test_call_site_macros_match_any_case_and_can_replace_built_ins() -> None:
    ctx = context(extra={'lastChatMessage': 'See you.', 'wiBefore': 'Lore', 'user': 'Captain'})
    assert substitute_macros('{{lastchatmessage}} {{WIBEFORE}} {{user}}', ctx) == 'See you. Lore Captain'


def test_unknown_macros_and_plain_text_stay_as_written() -> None:
    text = '{{nothing}} {{getvar}} {single} text'
    assert substitute_macros(text, context()) == text
    assert substitute_macros('', context()) == ''


def test_original_expands_once_per_context_and_is_left_alone_when_unset() -> None:
    ctx = context(original='Be kind.')
    assert substitute_macros('{{original}} Then {{original}}', ctx) == 'Be kind. Then '
    assert substitute_macros('{{original}}', ctx) == ''
    assert substitute_macros('{{original}}', context()) == '{{original}}'


def test_chat_state_macros() -> None:
    ctx = context(last_message='Bye.', last_user_message='Hi', last_char_message='Bye.', last_message_id='4',
                  last_swipe_id='3', current_swipe_id='2', max_prompt='8192', input='typed text')
    text = ('{{lastMessage}}|{{lastMessageId}}|{{lastUserMessage}}|{{lastCharMessage}}|{{lastSwipeId}}|'
            '{{currentSwipeId}}|{{maxPrompt}}|{{input}}')
    assert substitute_macros(text, ctx) == 'Bye.|4|Hi|Bye.|3|2|8192|typed text'


def test_layout_macros_reverse_and_comments() -> None:
    assert substitute_macros('one{{newline}}two{{noop}}', context()) == 'one\ntwo'
    assert substitute_macros('top\n\n{{trim}}\n\nbottom', context()) == 'topbottom'
    assert substitute_macros('{{reverse:Mira}} {{reverse:苹果香蕉}}', context()) == 'ariM 蕉香果苹'
    assert substitute_macros('a{{// a note\nover two lines }}b{{//x}}c', context()) == 'abc'


def test_dice_rolls_use_the_context_rng_and_refuse_bad_formulas() -> None:
    expected = random.Random(3)
    two_dice = expected.randint(1, 6) + expected.randint(1, 6) + 1
    d20 = expected.randint(1, 20)
    assert substitute_macros('{{roll:2d6+1}} {{roll 20}}', context(rng=random.Random(3))) == f'{two_dice} {d20}'
    assert substitute_macros('[{{roll:0d6}}][{{roll:d0}}][{{roll:abc}}][{{roll:5000d6}}]', context()) == '[][][][]'
    rolls = {int(substitute_macros('{{ROLL:1d4-1}}', context(rng=random.Random(seed)))) for seed in range(60)}
    assert rolls == {0, 1, 2, 3}


def test_variables_follow_sillytavern_order_and_arithmetic() -> None:
    ctx = context()
    text = '{{setvar::mood::calm}}{{getvar::mood}}\n[{{getvar::mood}}]'
    assert substitute_macros(text, ctx) == '\n[calm]'  # each line reads its variables before it sets them
    assert substitute_macros('{{addvar::count::2}}{{addvar::count::3}}{{incvar::count}}|{{decvar::count}}',
                             ctx) == '6|5'
    assert substitute_macros('{{addvar::name::Mi}}{{addvar::name::ra}}\n{{getvar::name}}', ctx) == '\nMira'
    assert substitute_macros('{{addvar::count::x}}\n{{getvar::count}}', ctx) == '\n5x'
    assert ctx.variables == {'mood': 'calm', 'count': '5x', 'name': 'Mira'}


def test_addvar_pushes_onto_json_arrays_and_global_variables_are_separate() -> None:
    ctx = context(variables={'bag': '["rope"]'}, global_variables={'runs': '9'})
    assert substitute_macros('{{addvar::bag::lamp}}\n{{getvar::bag}}', ctx) == '\n["rope","lamp"]'
    assert substitute_macros('{{incglobalvar::runs}} {{getvar::runs}}|{{setglobalvar::flag::on}}', ctx) == '10 |'
    assert substitute_macros('{{getglobalvar::flag}} {{addglobalvar::runs::0.5}}\n{{getglobalvar::runs}}',
                             ctx) == 'on \n10.5'
    assert ctx.global_variables == {'runs': 10.5, 'flag': 'on'}


def test_variables_round_trip_through_json_like_chat_metadata() -> None:
    ctx = context(variables=json.loads('{"count": "41", "note": "  "}'))
    substitute_macros('{{incvar::count}}{{setvar::who::苹果}}', ctx)
    stored = json.loads(json.dumps(ctx.variables, ensure_ascii=False))
    assert stored == {'count': 42, 'note': '  ', 'who': '苹果'}
    again = context(variables=stored)
    assert substitute_macros('{{getvar::count}}/{{getvar::who}}/[{{getvar::note}}]/[{{getvar::none}}]',
                             again) == '42/苹果/[  ]/[]'


def test_time_macros_read_the_context_clock() -> None:
    text = '{{time}}|{{date}}|{{weekday}}|{{isotime}}|{{isodate}}|{{time_UTC-5}}|{{TIME_utc+2}}'
    assert substitute_macros(text, context()) == ('3:05 PM|October 18, 2024|Friday|15:05|2024-10-18|2:05 AM|9:05 AM')
    assert substitute_macros('{{datetimeformat dddd, Do MMMM YYYY [at] HH:mm:ss Z}}', context()) == \
        'Friday, 18th October 2024 at 15:05:09 +08:00'
    assert substitute_macros('{{datetimeformat LLLL}}|{{datetimeformat ddd w W Q}}', context()) == \
        'Friday, October 18, 2024 3:05 PM|Fri 42 42 4'


def test_idle_duration_and_time_differences() -> None:
    assert substitute_macros('{{idle_duration}}', context(idle_duration=humanize(3 * 3600))) == '3 hours'
    assert substitute_macros('{{idle_duration}}', context()) == 'just now'
    text = '{{timeDiff::2024-10-20::2024-10-18}}|{{timeDiff::2024-10-18 10:00::2024-10-18 12:30}}|{{timeDiff::x::y}}'
    assert substitute_macros(text, context()) == 'in 2 days|3 hours ago|Invalid date'
    assert substitute_macros('{{timeDiff::{{isodate}}::2024-10-11}}', context()) == 'in 7 days'


@pytest.mark.parametrize(('seconds', 'text'), [
    (0, 'a few seconds'), (44, 'a few seconds'), (45, 'a minute'), (89, 'a minute'), (90, '2 minutes'),
    (44 * 60, '44 minutes'), (45 * 60, 'an hour'), (21 * 3600, '21 hours'), (22 * 3600, 'a day'),
    (25 * 86400, '25 days'), (26 * 86400, 'a month'), (100 * 86400, '3 months'), (320 * 86400, 'a year'),
    (800 * 86400, '2 years'),
])
def test_humanize_uses_moment_thresholds(seconds: int, text: str) -> None:
    assert humanize(seconds) == text


def test_banned_words_are_removed_and_collected() -> None:
    ctx = context()
    assert substitute_macros('Be nice.{{banned "shivers"}} {{banned "颤抖"}}End', ctx) == 'Be nice. End'
    assert ctx.banned_words == ['shivers', '颤抖']


def test_random_picks_afresh_from_the_context_rng() -> None:
    expected = random.Random(11)
    first, second = expected.choice(['苹果', '香蕉']), expected.choice(['a', 'b, c', 'd'])
    text = '{{random::苹果::香蕉}} {{random:a, b\\, c ,d}}'
    assert substitute_macros(text, context(rng=random.Random(11))) == f'{first} {second}'
    seen = {substitute_macros('{{random::red::green::blue}}', context(rng=random.Random(seed))) for seed in range(40)}
    assert seen == {'red', 'green', 'blue'}


def test_pick_is_stable_per_chat_text_and_position() -> None:
    text = '{{pick::' + '::'.join(str(n) for n in range(100)) + '}} {{pick::' + \
        '::'.join(str(n) for n in range(100)) + '}}'
    first = substitute_macros(text, context(rng=random.Random(1)))
    assert substitute_macros(text, context(rng=random.Random(2))) == first
    assert first.split()[0] != first.split()[1]  # same choices, different places
    other_chats = {substitute_macros(text, context(chat_id_hash=hash_)) for hash_ in range(10)}
    assert len(other_chats) > 1
    assert substitute_macros('{{pick::苹果::香蕉}}', context()) in {'苹果', '香蕉'}


def test_clock_defaults_to_now_in_utc() -> None:
    ctx = MacroContext(user='Alex', char='Mira')
    assert ctx.now.tzinfo is UTC
    assert substitute_macros('{{isodate}}', ctx) == ctx.now.strftime('%Y-%m-%d')
