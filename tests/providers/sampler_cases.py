"""One value for every sampler setting, each distinct, so a wire test can see exactly which ones an adapter sends."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from app.services.providers.base import SamplerSettings

EVERY_SAMPLER: dict[str, Any] = {
    'max_tokens': 42, 'temperature': 0.7, 'top_p': 0.9, 'top_k': 40, 'min_p': 0.05, 'typical_p': 0.95, 'tfs': 0.97,
    'top_a': 0.2, 'epsilon_cutoff': 3.0, 'eta_cutoff': 4.0, 'repetition_penalty': 1.1, 'repetition_penalty_range': 320,
    'repetition_penalty_slope': 0.7, 'frequency_penalty': 0.2, 'presence_penalty': 0.3, 'no_repeat_ngram_size': 3,
    'mirostat_mode': 2, 'mirostat_tau': 5.5, 'mirostat_eta': 0.15, 'dry_multiplier': 0.8, 'dry_base': 1.75,
    'dry_allowed_length': 2, 'dry_penalty_last_n': 1024, 'dry_sequence_breakers': ['\n', ':'], 'xtc_threshold': 0.1,
    'xtc_probability': 0.5, 'min_temp': 0.5, 'max_temp': 1.5, 'dynatemp_exponent': 1.2, 'smoothing_factor': 0.3,
    'smoothing_curve': 1.5, 'seed': 7, 'logit_bias': {'15043': -5.0, ' dragon': 2.0}, 'banned_tokens': [11, 12],
    'banned_strings': ['As an AI'], 'min_length': 10, 'ban_eos_token': True, 'stop': ['\nAlex:'],
}
SAMPLER_FIELDS = tuple(field.name for field in fields(SamplerSettings) if field.name != 'extra')
UNSET = {field.name: field.default_factory() if callable(field.default_factory) else field.default
         for field in fields(SamplerSettings)}


def every_sampler() -> SamplerSettings:
    return SamplerSettings(**EVERY_SAMPLER)


def every_sampler_but(*keys: str) -> SamplerSettings:
    """Every setting set except `keys`, which are at their unset default (max_tokens, never unset, gets 99)."""
    return SamplerSettings(**{**EVERY_SAMPLER, **{key: 99 if key == 'max_tokens' else UNSET[key] for key in keys}})
