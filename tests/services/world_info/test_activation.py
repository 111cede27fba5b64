"""SillyTavern's World Info activation, one rule per test, on small hand-built books."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from app.services.world_info import (
    Activation,
    BookSource,
    DepthInjection,
    ScanInput,
    WorldEntry,
    WorldInfoSettings,
    activate,
)
from app.services.world_info.entry import (
    LOGIC_AND_ALL,
    LOGIC_AND_ANY,
    LOGIC_NOT_ALL,
    LOGIC_NOT_ANY,
    POSITION_AFTER,
    POSITION_AN_BOTTOM,
    POSITION_AN_TOP,
    POSITION_AT_DEPTH,
    POSITION_BEFORE,
    POSITION_EM_BOTTOM,
    POSITION_EM_TOP,
    POSITION_OUTLET,
    ROLE_USER,
)


def words(text: str) -> int:
    return len(text.split())


def entry(uid: int, *keys: str, **fields: Any) -> WorldEntry:
    fields.setdefault('content', f'entry {uid}')
    return WorldEntry(uid=uid, key=list(keys), **fields)


def run(entries: list[WorldEntry], *messages: str, settings: WorldInfoSettings | None = None,
        timed: dict[str, Any] | None = None, seed: int = 0, chat_length: int | None = None,
        max_context: int = 100_000, substitute: Any = None, **scan: Any) -> Activation:
    source = BookSource(book_id='book', name='Book', scope='chat', entries=entries)
    scan_input = ScanInput(messages=list(messages), chat_length=len(messages) if chat_length is None else chat_length,
                           max_context=max_context, **scan)
    extra = {} if substitute is None else {'substitute': substitute}
    return activate([source], scan_input, settings or WorldInfoSettings(), count_tokens=words, timed_state=timed,
                    rng=random.Random(seed), **extra)


def fired(result: Activation) -> list[int]:
    return [item.uid for item in result.fired]


def reasons(result: Activation) -> dict[int, str]:
    return {item.uid: item.reason for item in result.fired}


def test_key_match_fires_and_reports_the_key() -> None:
    result = run([entry(0, 'castle', 'dragon', content='Dragons live here.'), entry(1, 'ocean')],
                 'Alice: I fear the DRAGON.')
    assert fired(result) == [0]
    assert reasons(result) == {0: 'key:dragon'}
    assert result.before == 'Dragons live here.'
    assert result.fired[0].tokens == 3 and result.fired[0].book_name == 'Book'


def test_entry_without_keys_never_fires() -> None:
    assert fired(run([entry(0)], 'anything')) == []


def test_case_sensitivity_global_and_per_entry() -> None:
    entries = [entry(0, 'dragon'), entry(1, 'dragon', case_sensitive=True), entry(2, 'Dragon', case_sensitive=True)]
    assert fired(run(entries, 'A Dragon')) == [0, 2]
    assert fired(run(entries, 'A Dragon', settings=WorldInfoSettings(case_sensitive=True))) == [2]
    sensitive_off = [entry(0, 'dragon', case_sensitive=False)]
    assert fired(run(sensitive_off, 'A Dragon', settings=WorldInfoSettings(case_sensitive=True))) == [0]


def test_whole_words_global_and_per_entry() -> None:
    entries = [entry(0, 'cat'), entry(1, 'cat', match_whole_words=False), entry(2, 'black cat')]
    result = run(entries, 'The catalogue of black catfish', settings=WorldInfoSettings(match_whole_words=True))
    assert fired(result) == [1, 2]
    assert fired(run([entry(0, 'cat', match_whole_words=True)], 'a cat!')) == [0]


def test_whole_words_with_a_chinese_key_in_chinese_text() -> None:
    whole_words = WorldInfoSettings(match_whole_words=True)
    result = run([entry(0, '北京', content='首都。')], '小明：我爱北京天安门', settings=whole_words)
    assert reasons(result) == {0: 'key:北京'}
    assert fired(run([entry(0, '北京')], '小明：ABC北京', settings=whole_words)) == []


def test_regex_key_anchors_at_a_message_start() -> None:
    entries = [entry(0, '/\\x01Bob:/'), entry(1, '/^\\x01alice/im'), entry(2, '/^\\x01carol/i')]
    assert fired(run(entries, 'Carol: Bob: is a name here', 'Bob: hello')) == [0, 2]
    assert fired(run(entries, 'Dave: hi', 'Dave: Bob: hi')) == []
    # without the m flag ^ is the start of the scanned text, which holds the newest message first
    assert fired(run(entries, 'Dave: hi', 'Alice: hi', 'Carol: hi', settings=WorldInfoSettings(scan_depth=3))) == [1]
    assert fired(run([entry(0, '/broken(/')], 'broken( text')) == []


@pytest.mark.parametrize(('logic', 'message', 'expected', 'reason'), [
    (LOGIC_AND_ANY, 'sword and fire', True, 'key:sword + secondary:fire'),
    (LOGIC_AND_ANY, 'sword only', False, ''),
    (LOGIC_NOT_ALL, 'sword fire', True, 'key:sword + without:ice'),
    (LOGIC_NOT_ALL, 'sword fire ice', False, ''),
    (LOGIC_NOT_ANY, 'sword only', True, 'key:sword + no secondary'),
    (LOGIC_NOT_ANY, 'sword ice', False, ''),
    (LOGIC_AND_ALL, 'sword fire ice', True, 'key:sword + all secondary'),
    (LOGIC_AND_ALL, 'sword fire', False, ''),
])
def test_secondary_key_logic(logic: int, message: str, expected: bool, reason: str) -> None:
    result = run([entry(0, 'sword', secondary_keys=['fire', 'ice'], selective_logic=logic)], message)
    assert reasons(result) == ({0: reason} if expected else {})


def test_secondary_keys_ignored_when_not_selective() -> None:
    result = run([entry(0, 'sword', secondary_keys=['fire'], selective=False)], 'a sword')
    assert reasons(result) == {0: 'key:sword'}


def test_scan_depth_global_and_per_entry() -> None:
    messages = ('newest', 'older', 'the dragon message', 'oldest')
    assert fired(run([entry(0, 'dragon')], *messages)) == []
    assert fired(run([entry(0, 'dragon')], *messages, settings=WorldInfoSettings(scan_depth=3))) == [0]
    assert fired(run([entry(0, 'dragon', scan_depth=3)], *messages)) == [0]
    assert fired(run([entry(0, 'newest', scan_depth=0)], *messages)) == []


def test_disabled_and_constant_entries() -> None:
    result = run([entry(0, 'x', disable=True), entry(1, disable=True, constant=True), entry(2, constant=True)], 'x')
    assert reasons(result) == {2: 'constant'}


def test_generation_type_triggers() -> None:
    entries = [entry(0, 'x', triggers=['continue', 'impersonate']), entry(1, 'x')]
    assert fired(run(entries, 'x')) == [1]
    assert fired(run(entries, 'x', trigger='continue')) == [0, 1]


def test_decorators() -> None:
    entries = [entry(0, content='@@activate\nAlways here.'), entry(1, 'x', content='@@dont_activate\nNever.'),
               entry(2, 'x', content='@@@activate\nKept text.')]
    result = run(entries, 'x')
    assert reasons(result) == {0: 'decorator', 2: 'key:x'}
    assert result.before == 'Kept text.\nAlways here.'


def test_match_flags_add_character_and_persona_fields() -> None:
    entries = [entry(0, 'elf', match_character_description=True), entry(1, 'elf'),
               entry(2, 'paladin', match_persona_description=True), entry(3, 'castle', match_scenario=True),
               entry(4, 'shy', match_character_personality=True), entry(5, 'secret', match_creator_notes=True),
               entry(6, 'whisper', match_character_depth_prompt=True)]
    result = run(entries, 'hello', character_description='An elf archer.', persona_description='A paladin.',
                 scenario='In a castle.', character_personality='Shy.', creator_notes='A secret.',
                 character_depth_prompt='Whisper.')
    assert fired(result) == [0, 2, 3, 4, 5, 6]


def test_extra_scan_text_is_scanned() -> None:
    assert fired(run([entry(0, 'lighthouse')], 'hello', extra_scan_text=['Note: the lighthouse'])) == [0]


def test_macros_are_substituted_in_keys_and_content() -> None:
    result = run([entry(0, '{{char}}', content='{{char}} is brave.')], 'I met Alice.',
                 substitute=lambda text: text.replace('{{char}}', 'Alice'))
    assert reasons(result) == {0: 'key:{{char}}'}
    assert result.before == 'Alice is brave.'


RECURSIVE = WorldInfoSettings(recursive=True)


def test_recursion_scans_activated_content() -> None:
    entries = [entry(0, 'castle', content='The king lives here.'), entry(1, 'king', content='A tired man.')]
    assert fired(run(entries, 'the castle')) == [0]
    result = run(entries, 'the castle', settings=RECURSIVE)
    assert reasons(result) == {0: 'key:castle', 1: 'recursion:1'}
    assert result.fired[1].matched == 'key:king'


def test_prevent_and_exclude_recursion() -> None:
    prevent = [entry(0, 'castle', content='The king.', prevent_recursion=True), entry(1, 'king')]
    assert fired(run(prevent, 'castle', settings=RECURSIVE)) == [0]
    exclude = [entry(0, 'castle', content='The king.'), entry(1, 'king', exclude_recursion=True)]
    assert fired(run(exclude, 'castle', settings=RECURSIVE)) == [0]
    assert fired(run(exclude, 'castle king', settings=RECURSIVE)) == [0, 1]


def test_delay_until_recursion_levels() -> None:
    entries = [entry(0, 'castle', content='king'), entry(1, 'king', content='queen', delay_until_recursion=1),
               entry(2, 'queen', content='end', delay_until_recursion=2)]
    # a single delayed level only opens through real recursion
    assert fired(run(entries[1:2], 'king', settings=RECURSIVE)) == []
    # with a further level left, SillyTavern visits the levels in turn even when nothing else recursed
    assert reasons(run(entries[1:], 'king queen', settings=RECURSIVE)) == {1: 'recursion:1', 2: 'recursion:1'}
    result = run(entries, 'castle', settings=RECURSIVE)
    assert reasons(result) == {0: 'key:castle', 1: 'recursion:1', 2: 'recursion:3'}
    limited = run(entries, 'castle', settings=WorldInfoSettings(recursive=True, max_recursion_steps=2))
    assert fired(limited) == [0, 1]


def test_budget_stops_activation_and_ignore_budget_passes() -> None:
    entries = [entry(0, 'x', content='one two three four five six', order=300),
               entry(1, 'x', content='seven eight nine ten eleven', order=200),
               entry(2, 'x', content='always', order=100, ignore_budget=True)]
    settings = WorldInfoSettings(budget_percent=10)
    result = run(entries, 'x', settings=settings, max_context=100)
    assert fired(result) == [0, 2]
    assert result.budget_overflowed
    roomy = run(entries, 'x', settings=settings, max_context=1000)
    assert fired(roomy) == [0, 1, 2] and not roomy.budget_overflowed
    capped = run(entries, 'x', settings=WorldInfoSettings(budget_percent=10, budget_cap=7), max_context=1000)
    assert fired(capped) == [0, 2]


def group_entries(**override: Any) -> list[WorldEntry]:
    return [entry(uid, 'rain', group='weather', order=100 + uid, **override) for uid in range(3)]


def test_inclusion_group_keeps_one_entry() -> None:
    result = run([*group_entries(), entry(9, 'rain')], 'rain')
    assert len([uid for uid in fired(result) if uid < 9]) == 1 and 9 in fired(result)


def test_inclusion_group_override_takes_highest_order() -> None:
    entries = group_entries()
    entries[0].group_override = entries[1].group_override = True
    for seed in range(5):
        assert fired(run(entries, 'rain', seed=seed)) == [1]


def test_inclusion_group_weighted_draw_uses_the_seeded_rng() -> None:
    entries = [entry(0, 'rain', group='weather', group_weight=30), entry(1, 'rain', group='weather', group_weight=70)]
    winners = set()
    for seed in range(30):
        expected = 0 if random.Random(seed).random() * 100 <= 30 else 1
        assert fired(run(entries, 'rain', seed=seed)) == [expected]
        winners.add(expected)
    assert winners == {0, 1}


def test_inclusion_group_scoring_prefers_more_matched_keys() -> None:
    entries = [entry(0, 'rain', group='weather', group_weight=1000), entry(1, 'rain', 'storm', group='weather')]
    for seed in range(10):
        assert fired(run(entries, 'rain and storm', seed=seed, settings=WorldInfoSettings(use_group_scoring=True))) \
            == [1]
    entries[0].use_group_scoring = entries[1].use_group_scoring = True
    assert fired(run(entries, 'rain and storm', seed=3)) == [1]


def test_inclusion_group_already_activated_blocks_later_steps() -> None:
    entries = [entry(0, 'castle', group='place', content='tower'), entry(1, 'tower', group='place'),
               entry(2, 'tower')]
    assert fired(run(entries, 'castle', settings=RECURSIVE)) == [0, 2]


def test_entry_in_two_groups() -> None:
    entries = [entry(0, 'x', group='a, b', group_override=True), entry(1, 'x', group='a'), entry(2, 'x', group='b')]
    assert fired(run(entries, 'x')) == [0]


def sticky_state(result: Activation) -> dict[str, Any]:
    return result.timed_state['sticky']


def test_sticky_keeps_an_entry_for_the_next_messages() -> None:
    entries = [entry(0, 'dragon', sticky=2)]
    first = run(entries, 'a dragon', chat_length=1)
    assert reasons(first) == {0: 'key:dragon'}
    effect = sticky_state(first)['book.0']
    assert (effect['start'], effect['end'], effect['protected']) == (1, 3, False)
    second = run(entries, 'nothing', chat_length=2, timed=first.timed_state)
    assert reasons(second) == {0: 'sticky'}
    third = run(entries, 'nothing', chat_length=3, timed=second.timed_state)
    assert fired(third) == [] and sticky_state(third) == {}


def test_sticky_is_dropped_when_the_chat_did_not_advance() -> None:
    entries = [entry(0, 'dragon', sticky=3)]
    first = run(entries, 'a dragon', chat_length=4)
    swiped = run(entries, 'no match', chat_length=4, timed=first.timed_state, trigger='swipe')
    assert fired(swiped) == [] and sticky_state(swiped) == {}


def test_cooldown_suppresses_then_releases() -> None:
    entries = [entry(0, 'dragon', cooldown=2)]
    first = run(entries, 'dragon', chat_length=1)
    assert first.timed_state['cooldown']['book.0']['end'] == 3
    assert fired(run(entries, 'dragon', chat_length=2, timed=first.timed_state)) == []
    assert fired(run(entries, 'dragon', chat_length=3, timed=first.timed_state)) == [0]


def test_cooldown_starts_when_sticky_ends_and_survives_a_swipe() -> None:
    entries = [entry(0, 'dragon', sticky=1, cooldown=2)]
    state = run(entries, 'dragon', chat_length=1).timed_state
    ended = run(entries, 'dragon', chat_length=2, timed=state)
    assert fired(ended) == []
    cooldown = ended.timed_state['cooldown']['book.0']
    assert (cooldown['start'], cooldown['end'], cooldown['protected']) == (2, 4, True)
    swiped = run(entries, 'dragon', chat_length=2, timed=ended.timed_state, trigger='swipe')
    assert fired(swiped) == [] and 'book.0' in swiped.timed_state['cooldown']
    assert fired(run(entries, 'dragon', chat_length=3, timed=swiped.timed_state)) == []
    assert fired(run(entries, 'dragon', chat_length=4, timed=swiped.timed_state)) == [0]


def test_delay_waits_for_enough_messages() -> None:
    entries = [entry(0, 'dragon', delay=3)]
    assert fired(run(entries, 'dragon', chat_length=2)) == []
    assert fired(run(entries, 'dragon', chat_length=3)) == [0]


def test_timed_state_of_the_caller_is_not_changed() -> None:
    entries = [entry(0, 'dragon', sticky=2, cooldown=1)]
    state = run(entries, 'dragon', chat_length=1).timed_state
    before = copy.deepcopy(state)
    later = run(entries, 'x', chat_length=5, timed=state)
    assert state == before and later.timed_state != before


def test_edited_entry_loses_its_sticky_effect() -> None:
    entries = [entry(0, 'dragon', sticky=5)]
    state = run(entries, 'dragon', chat_length=1).timed_state
    entries[0].content = 'changed'
    assert fired(run(entries, 'x', chat_length=2, timed=state)) == []


def test_probability_uses_the_seeded_rng() -> None:
    entries = [entry(0, 'x', probability=50)]
    outcomes = set()
    for seed in range(30):
        expected = random.Random(seed).random() * 100 <= 50
        assert (fired(run(entries, 'x', seed=seed)) == [0]) is expected
        outcomes.add(expected)
    assert outcomes == {True, False}
    assert fired(run([entry(0, 'x', probability=0, use_probability=False)], 'x')) == [0]
    assert all(fired(run([entry(0, 'x', probability=0)], 'x', seed=seed)) == [] for seed in range(10))


def test_positions_are_bucketed_and_sorted_by_order() -> None:
    entries = [entry(0, content='before high', constant=True, order=300),
               entry(1, content='before low', constant=True, order=10),
               entry(2, content='after', constant=True, position=POSITION_AFTER),
               entry(3, content='an top', constant=True, position=POSITION_AN_TOP),
               entry(4, content='an bottom', constant=True, position=POSITION_AN_BOTTOM),
               entry(5, content='em top', constant=True, position=POSITION_EM_TOP),
               entry(6, content='em bottom', constant=True, position=POSITION_EM_BOTTOM),
               entry(7, content='outlet b', constant=True, position=POSITION_OUTLET, outlet_name='side', order=1),
               entry(8, content='outlet a', constant=True, position=POSITION_OUTLET, outlet_name='side', order=2),
               entry(9, content='', constant=True, position=POSITION_BEFORE, order=50)]
    result = run(entries, 'hi')
    assert result.before == 'before low\nbefore high'
    assert (result.after, result.an_top, result.an_bottom) == ('after', ['an top'], ['an bottom'])
    assert (result.examples_top, result.examples_bottom) == (['em top'], ['em bottom'])
    assert result.outlets == {'side': 'outlet a\noutlet b'}
    assert 9 in fired(result)


def test_equal_order_entries_come_out_in_reverse_activation_order() -> None:
    result = run([entry(0, content='first', constant=True), entry(1, content='second', constant=True)], 'hi')
    assert result.before == 'second\nfirst'


def test_depth_entries_are_grouped_by_depth_and_role() -> None:
    entries = [entry(0, content='deep low', constant=True, position=POSITION_AT_DEPTH, depth=4, order=10),
               entry(1, content='deep high', constant=True, position=POSITION_AT_DEPTH, depth=4, order=20),
               entry(2, content='deep user', constant=True, position=POSITION_AT_DEPTH, depth=4, role=ROLE_USER,
                     order=30),
               entry(3, content='shallow', constant=True, position=POSITION_AT_DEPTH, depth=1, order=5)]
    assert run(entries, 'hi').at_depth == [DepthInjection(4, ROLE_USER, 'deep user'),
                                           DepthInjection(4, 0, 'deep low\ndeep high'), DepthInjection(1, 0, 'shallow')]


def test_min_activations_sweeps_deeper() -> None:
    entries = [entry(0, 'dragon')]
    messages = ('newest', 'older', 'oldest with dragon')
    settings = WorldInfoSettings(scan_depth=1, min_activations=1)
    assert reasons(run(entries, *messages, settings=settings)) == {0: 'min_activations'}
    # SillyTavern checks the maximum before sweeping one deeper, so the last sweep reaches depth_max + 1
    limited = WorldInfoSettings(scan_depth=1, min_activations=1, min_activations_depth_max=1)
    assert fired(run(entries, *messages, settings=limited)) == []
    deeper = WorldInfoSettings(scan_depth=1, min_activations=1, min_activations_depth_max=2)
    assert fired(run(entries, *messages, settings=deeper)) == [0]
    assert fired(run(entries, *messages, settings=WorldInfoSettings(scan_depth=1))) == []


def sources_in_scopes(strategy: int) -> list[int]:
    sources = [BookSource('global', 'G', 'global', [entry(1, content='global', constant=True, order=200)]),
               BookSource('char', 'C', 'character', [entry(2, content='character', constant=True, order=100)]),
               BookSource('chat', 'Ch', 'chat', [entry(3, content='chat', constant=True, order=1)]),
               BookSource('persona', 'P', 'persona', [entry(4, content='persona', constant=True, order=2)])]
    result = activate(sources, ScanInput(messages=['hi'], chat_length=1, max_context=1000),
                      WorldInfoSettings(character_strategy=strategy), count_tokens=words, timed_state=None,
                      rng=random.Random(0))
    return fired(result)


def test_source_order_by_strategy_with_chat_and_persona_first() -> None:
    assert sources_in_scopes(0) == [3, 4, 1, 2]
    assert sources_in_scopes(1) == [3, 4, 2, 1]
    assert sources_in_scopes(2) == [3, 4, 1, 2]


def test_source_order_decides_who_gets_the_budget() -> None:
    big = ' '.join(['word'] * 20)
    sources = [BookSource('g', 'G', 'global', [entry(1, content=big, constant=True, order=500)]),
               BookSource('c', 'C', 'character', [entry(2, content=big, constant=True, order=1)])]
    scan_input = ScanInput(messages=['hi'], chat_length=1, max_context=100)
    result = activate(sources, scan_input, WorldInfoSettings(budget_percent=30), count_tokens=words,
                      timed_state=None, rng=random.Random(0))
    assert fired(result) == [2]


def test_a_book_in_several_scopes_counts_once() -> None:
    entries = [entry(0, content='once', constant=True)]
    sources = [BookSource('same', 'S', 'character', entries), BookSource('same', 'S', 'global', entries)]
    result = activate(sources, ScanInput(messages=['hi'], chat_length=1, max_context=1000), WorldInfoSettings(),
                      count_tokens=words, timed_state=None, rng=random.Random(0))
    assert result.before == 'once'


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match='scope'):
        BookSource('b', 'B', 'everywhere', [])


def test_no_books_gives_an_empty_activation_with_cleaned_state() -> None:
    result = activate([], ScanInput(messages=['hi'], chat_length=3, max_context=1000), WorldInfoSettings(),
                      count_tokens=words, timed_state={'sticky': {'gone.1': {'hash': 1, 'start': 1, 'end': 2}},
                                                       'cooldown': None},
                      rng=random.Random(0))
    assert (result.before, result.fired) == ('', [])
    assert result.timed_state == {'sticky': {}, 'cooldown': {}}


def test_settings_from_and_to_sillytavern() -> None:
    raw = {'world_info_depth': 4, 'world_info_budget': '30', 'world_info_recursive': True,
           'world_info_character_strategy': 2, 'world_info_min_activations': 3, 'world_info': {'globalSelect': []}}
    settings = WorldInfoSettings.from_st(raw)
    assert (settings.scan_depth, settings.budget_percent, settings.recursive, settings.character_strategy,
            settings.min_activations, settings.include_names) == (4, 30, True, 2, 3, True)
    assert WorldInfoSettings.from_st(settings.to_st()) == settings
    assert WorldInfoSettings.from_st({}) == WorldInfoSettings()
    assert WorldInfoSettings().to_st()['world_info_depth'] == 2
