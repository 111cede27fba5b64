"""Generation settings: every sampler setting is optional and range-checked, unknown keys are ignored, dynamic
temperature needs both bounds in order, stored settings drop what is unset, and the chat's layer wins over the
connection's when they become the adapters' `SamplerSettings`."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from app.errors import InvalidInputError
from app.services.generation_settings import SAMPLER_KEYS, GenerationSettings, checked_settings, sampler_from
from app.services.providers.base import SamplerSettings
from tests.providers.sampler_cases import EVERY_SAMPLER


def test_every_sampler_setting_is_a_generation_setting() -> None:
    assert set(SAMPLER_KEYS) == {field.name for field in fields(SamplerSettings)} - {'extra'}
    assert set(GenerationSettings.model_fields) == set(SAMPLER_KEYS) | {'model', 'context_size'}


def test_a_full_set_of_values_is_accepted_and_stored_as_given() -> None:
    assert checked_settings(EVERY_SAMPLER).stored() == EVERY_SAMPLER


def test_nothing_set_stores_nothing_and_unknown_keys_are_ignored() -> None:
    assert checked_settings({}).stored() == {}
    assert checked_settings({'instruct_template': 'chatml', 'keep_alive': '5m', 'top_k': 5}).stored() == {'top_k': 5}


def test_empty_lists_and_a_blank_model_are_not_stored_but_false_and_zero_are() -> None:
    settings = checked_settings({'model': '', 'stop': [], 'banned_tokens': [], 'logit_bias': {},
                                 'dry_sequence_breakers': [], 'ban_eos_token': False, 'mirostat_mode': 0})
    assert settings.stored() == {'ban_eos_token': False, 'mirostat_mode': 0}


@pytest.mark.parametrize(('values', 'field'), [
    ({'temperature': 5.01}, 'temperature'),
    ({'typical_p': 1.5}, 'typical_p'),
    ({'tfs': -0.1}, 'tfs'),
    ({'top_a': 2}, 'top_a'),
    ({'epsilon_cutoff': 10}, 'epsilon_cutoff'),
    ({'eta_cutoff': 21}, 'eta_cutoff'),
    ({'repetition_penalty_range': -1}, 'repetition_penalty_range'),
    ({'repetition_penalty_slope': 11}, 'repetition_penalty_slope'),
    ({'no_repeat_ngram_size': 21}, 'no_repeat_ngram_size'),
    ({'mirostat_mode': 3}, 'mirostat_mode'),
    ({'mirostat_tau': 25}, 'mirostat_tau'),
    ({'mirostat_eta': 1.5}, 'mirostat_eta'),
    ({'dry_multiplier': 6}, 'dry_multiplier'),
    ({'dry_base': 0.5}, 'dry_base'),
    ({'dry_allowed_length': 0}, 'dry_allowed_length'),
    ({'dry_penalty_last_n': -2}, 'dry_penalty_last_n'),
    ({'dry_sequence_breakers': ['']}, 'dry_sequence_breakers'),
    ({'xtc_threshold': 0.6}, 'xtc_threshold'),
    ({'xtc_probability': 1.1}, 'xtc_probability'),
    ({'min_temp': 0.2, 'max_temp': 6}, 'max_temp'),
    ({'dynatemp_exponent': 0}, 'dynatemp_exponent'),
    ({'smoothing_factor': 11}, 'smoothing_factor'),
    ({'smoothing_curve': 0.5}, 'smoothing_curve'),
    ({'seed': -2}, 'seed'),
    ({'logit_bias': {'15043': 101}}, 'logit_bias'),
    ({'logit_bias': {'': 1}}, 'logit_bias'),
    ({'banned_tokens': [-1]}, 'banned_tokens'),
    ({'banned_strings': ['x' * 201]}, 'banned_strings'),
    ({'min_length': 40_000}, 'min_length'),
    ({'ban_eos_token': 'sometimes'}, 'ban_eos_token'),
])
def test_a_value_out_of_range_names_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        checked_settings(values)
    assert raised.value.code == 'error.generation.settings'
    assert raised.value.params['field'] == field


@pytest.mark.parametrize('values', [{'min_temp': 0.5}, {'max_temp': 1.5}, {'min_temp': 1.5, 'max_temp': 0.5}])
def test_dynamic_temperature_needs_both_bounds_in_order(values: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError, match='max_temp'):
        checked_settings(values)


def test_too_many_logit_biases_are_refused() -> None:
    with pytest.raises(InvalidInputError, match='logit_bias'):
        checked_settings({'logit_bias': {str(token): 1 for token in range(301)}})


def test_the_chats_settings_override_the_connections() -> None:
    connection = {'temperature': 0.9, 'mirostat_mode': 2, 'mirostat_tau': 5, 'stop': ['###'], 'context_size': 8192,
                  'instruct_template': 'chatml'}
    chat = {'temperature': 0.4, 'dry_multiplier': 0.8, 'dry_sequence_breakers': ['\n'], 'stop': []}
    sampler = sampler_from(connection, chat)
    assert (sampler.temperature, sampler.mirostat_mode, sampler.mirostat_tau, sampler.dry_multiplier) == \
        (0.4, 2, 5.0, 0.8)
    assert (sampler.stop, sampler.dry_sequence_breakers, sampler.max_tokens) == (['###'], ['\n'], 300)


def test_a_bad_stored_value_stops_the_reply_with_its_name() -> None:
    with pytest.raises(InvalidInputError, match='xtc_probability'):
        sampler_from({}, {'xtc_probability': 2})
