"""SillyTavern sampler presets as generation settings, read in place from SillyTavern's own preset folders and
community presets: every file maps without error to settings that validate, each kind's names land on the right
keys, and values out of range or unreadable are left out and named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.errors import InvalidInputError
from app.services.generation_settings import checked_settings
from app.services.sampler_presets import settings_from_st_preset
from tests.support.compat import COMPAT_DIR

PRESETS = COMPAT_DIR / 'sillytavern' / 'presets'
COMMUNITY = COMPAT_DIR / 'community' / 'presets'
CHAT_COMPLETION_MARKERS = ('openai_max_context', 'openai_max_tokens', 'prompts')


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding='utf-8'))


def _files(folder: Path) -> list[Path]:
    files = sorted(folder.glob('*.json'))
    assert files, f'no presets in {folder}'
    return files


def _community_chat_presets() -> list[Path]:
    files = [path for path in _files(COMMUNITY) if any(key in _load(path) for key in CHAT_COMPLETION_MARKERS)]
    assert len(files) >= 4
    return files


CASES = [('textgen', path) for path in _files(PRESETS / 'textgen')] + \
    [('kobold', path) for path in _files(PRESETS / 'kobold')] + \
    [('chat_completion', path) for path in [*_files(PRESETS / 'openai'), *_community_chat_presets()]]


@pytest.mark.parametrize(('kind', 'path'), CASES, ids=[f'{kind}-{path.stem}' for kind, path in CASES])
def test_every_preset_maps_to_settings_that_validate(kind: str, path: Path) -> None:
    settings, skipped = settings_from_st_preset(kind, _load(path))
    assert checked_settings(settings).stored() == settings
    assert skipped == []
    assert settings, 'every one of these presets sets at least the reply or context length or a sampler'


def test_a_textgen_preset_maps_every_sampler_it_holds() -> None:
    settings, _ = settings_from_st_preset('textgen', _load(PRESETS / 'textgen' / 'Mirostat.json'))
    assert settings == {
        'temperature': 1.0, 'top_p': 1.0, 'top_k': 0, 'top_a': 0.0, 'tfs': 1.0, 'epsilon_cutoff': 0.0,
        'eta_cutoff': 0.0, 'typical_p': 1.0, 'min_p': 0.0, 'repetition_penalty': 1.0, 'repetition_penalty_range': 0,
        'repetition_penalty_slope': 1.0, 'no_repeat_ngram_size': 0, 'min_length': 0, 'frequency_penalty': 0.0,
        'presence_penalty': 0.0, 'dynatemp_exponent': 1.0, 'smoothing_factor': 0.0, 'smoothing_curve': 1.0,
        'dry_allowed_length': 2, 'dry_multiplier': 0.0, 'dry_base': 1.75,
        'dry_sequence_breakers': ['\n', ':', '"', '*'], 'dry_penalty_last_n': 0, 'ban_eos_token': False,
        'mirostat_mode': 2, 'mirostat_tau': 8.0, 'mirostat_eta': 0.1,
    }


def test_a_kobold_preset_uses_koboldai_names() -> None:
    settings, _ = settings_from_st_preset('kobold', _load(PRESETS / 'kobold' / 'Godlike.json'))
    assert settings == {'temperature': 0.7, 'repetition_penalty': 1.1, 'repetition_penalty_range': 1024,
                        'top_p': 0.5, 'top_a': 0.75, 'top_k': 0, 'typical_p': 0.19, 'tfs': 0.97,
                        'repetition_penalty_slope': 0.7, 'mirostat_mode': 0, 'mirostat_tau': 5.0, 'mirostat_eta': 0.1}


def test_a_chat_completion_preset_gives_lengths_and_samplers_and_a_random_seed_stays_unset() -> None:
    data = _load(COMMUNITY / 'Marinaras_Special.json')
    settings, _ = settings_from_st_preset('chat_completion', data)
    assert data['seed'] == -1
    assert settings == {'temperature': 1.25, 'frequency_penalty': 0.0, 'presence_penalty': 0.0, 'top_p': 0.95,
                        'top_k': 64, 'top_a': 1.0, 'min_p': 0.0, 'repetition_penalty': 1.0, 'context_size': 65512,
                        'max_tokens': 400}


def test_dynamic_temperature_bans_and_logit_bias_of_a_textgen_preset() -> None:
    data = {'temp': 0.8, 'dynatemp': True, 'min_temp': 0.5, 'max_temp': 1.5, 'dynatemp_exponent': 2,
            'banned_tokens': '[1, 2]\n"As an AI"\nshivers down', 'ignore_eos_token': True,
            'logit_bias': [{'id': 'a', 'text': 'dragon', 'value': 5}, {'id': 'b', 'text': '[15043, 7]', 'value': -10}],
            'xtc_threshold': 0.1, 'xtc_probability': 0.5, 'genamt': 250, 'max_length': 8192}
    settings, skipped = settings_from_st_preset('textgen', data)
    assert skipped == []
    assert settings == {'temperature': 0.8, 'min_temp': 0.5, 'max_temp': 1.5, 'dynatemp_exponent': 2.0,
                        'banned_tokens': [1, 2], 'banned_strings': ['As an AI', 'shivers down'],
                        'ban_eos_token': True, 'logit_bias': {'dragon': 5.0, '15043': -10.0, '7': -10.0},
                        'xtc_threshold': 0.1, 'xtc_probability': 0.5, 'max_tokens': 250, 'context_size': 8192}


def test_dynamic_temperature_switched_off_is_not_taken() -> None:
    settings, _ = settings_from_st_preset('textgen', {'dynatemp': False, 'min_temp': 0.5, 'max_temp': 1.5})
    assert settings == {}


def test_values_out_of_range_or_unreadable_are_skipped_and_named() -> None:
    data = {'temp': 9, 'top_p': 0.9, 'rep_pen': 'high', 'dynatemp': True, 'min_temp': 2, 'max_temp': 1,
            'dry_sequence_breakers': '["\\n", ', 'logit_bias': [{'text': 'x'}], 'mirostat_mode': 2}
    settings, skipped = settings_from_st_preset('textgen', data)
    assert settings == {'top_p': 0.9, 'mirostat_mode': 2}
    assert skipped == ['temp=9', "rep_pen='high'", 'min_temp=2, max_temp=1', 'dry_sequence_breakers=\'["\\\\n", \'',
                       "logit_bias=[{'text': 'x'}]"]


def test_a_preset_kind_without_samplers_is_refused() -> None:
    with pytest.raises(InvalidInputError) as raised:
        settings_from_st_preset('instruct', {'input_sequence': '### Instruction:'})
    assert raised.value.code == 'error.sampler_preset.kind'
