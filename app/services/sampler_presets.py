"""SillyTavern sampler presets (text completion, KoboldAI, chat completion) as our generation settings.

A preset is SillyTavern's JSON as saved under `TextGen Settings/`, `KoboldAI Settings/` or `OpenAI Settings/`. Each
kind names the same sampler differently (`temp` / `temperature`, `typical` / `typical_p`, `mirostat` /
`mirostat_mode`), so each has its own table onto `GenerationSettings` keys. Keys we do not offer (beam search, CFG,
sampler order, prompts ...) are left out; a value out of our range or of the wrong type is left out too and named
in the returned notes, so the panel can say what was not applied. Old KoboldAI-era files use `genamt` for the reply
length and `max_length` for the context size; chat presets say `openai_max_tokens` and `openai_max_context`.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidInputError
from .generation_settings import GenerationSettings, checked_settings

SAMPLER_PRESET_KINDS = ('textgen', 'kobold', 'chat_completion')

COMMON_TEXT_KEYS = {
    'temp': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'top_a': 'top_a', 'tfs': 'tfs', 'min_p': 'min_p',
    'rep_pen': 'repetition_penalty', 'rep_pen_range': 'repetition_penalty_range',
    'rep_pen_slope': 'repetition_penalty_slope', 'mirostat_tau': 'mirostat_tau', 'mirostat_eta': 'mirostat_eta',
    'genamt': 'max_tokens', 'amount_gen': 'max_tokens', 'max_length': 'context_size', 'max_context': 'context_size',
    'seed': 'seed', 'sampler_seed': 'seed',
}
TEXTGEN_KEYS = COMMON_TEXT_KEYS | {
    'typical_p': 'typical_p', 'epsilon_cutoff': 'epsilon_cutoff', 'eta_cutoff': 'eta_cutoff',
    'freq_pen': 'frequency_penalty', 'presence_pen': 'presence_penalty', 'no_repeat_ngram_size': 'no_repeat_ngram_size',
    'min_length': 'min_length', 'mirostat_mode': 'mirostat_mode', 'dry_multiplier': 'dry_multiplier',
    'dry_base': 'dry_base', 'dry_allowed_length': 'dry_allowed_length', 'dry_penalty_last_n': 'dry_penalty_last_n',
    'xtc_threshold': 'xtc_threshold', 'xtc_probability': 'xtc_probability', 'dynatemp_exponent': 'dynatemp_exponent',
    'smoothing_factor': 'smoothing_factor', 'smoothing_curve': 'smoothing_curve', 'ban_eos_token': 'ban_eos_token',
}
KOBOLD_KEYS = COMMON_TEXT_KEYS | {'typical': 'typical_p', 'mirostat': 'mirostat_mode',
                                  'use_default_badwordsids': 'ban_eos_token'}
CHAT_KEYS = {
    'temperature': 'temperature', 'top_p': 'top_p', 'top_k': 'top_k', 'top_a': 'top_a', 'min_p': 'min_p',
    'repetition_penalty': 'repetition_penalty', 'frequency_penalty': 'frequency_penalty',
    'presence_penalty': 'presence_penalty', 'openai_max_tokens': 'max_tokens', 'openai_max_context': 'context_size',
    'seed': 'seed',
}
KEYS_BY_KIND = {'textgen': TEXTGEN_KEYS, 'kobold': KOBOLD_KEYS, 'chat_completion': CHAT_KEYS}
RANDOM_SEED = -1


def settings_from_st_preset(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`(settings, skipped)`: the preset's samplers as stored `GenerationSettings` values, and notes such as
    `"temp=9"` for each value that was out of range or malformed and so left out."""
    if kind not in KEYS_BY_KIND:
        raise InvalidInputError('error.sampler_preset.kind', f'A "{kind}" preset holds no sampler settings; choose a '
                                f'text completion, KoboldAI or chat completion preset.', kind=kind)
    settings: dict[str, Any] = {}
    skipped: list[str] = []
    for st_key, key in KEYS_BY_KIND[kind].items():
        if st_key in data and data[st_key] is not None:
            _take(settings, skipped, {key: data[st_key]}, f'{st_key}={data[st_key]!r}')
    if settings.get('seed') == RANDOM_SEED:
        del settings['seed']
    if kind == 'textgen':
        _take_textgen_extras(settings, skipped, data)
    return GenerationSettings.model_validate(settings).stored(), skipped


def _take_textgen_extras(settings: dict[str, Any], skipped: list[str], data: dict[str, Any]) -> None:
    """The textgen values that need more than a rename: dynamic temperature, DRY breakers, bans and logit bias."""
    if data.get('dynatemp'):
        _take(settings, skipped, {'min_temp': data.get('min_temp'), 'max_temp': data.get('max_temp')},
              f'min_temp={data.get("min_temp")!r}, max_temp={data.get("max_temp")!r}')
    if data.get('ignore_eos_token') is True:
        settings['ban_eos_token'] = True
    if isinstance(data.get('dry_sequence_breakers'), str):
        _take(settings, skipped, {'dry_sequence_breakers': _json_or_none(data['dry_sequence_breakers'])},
              f'dry_sequence_breakers={data["dry_sequence_breakers"]!r}')
    if isinstance(data.get('banned_tokens'), str) and data['banned_tokens'].strip():
        token_ids, strings = banned_lines(data['banned_tokens'])
        bans = {key: value for key, value in (('banned_tokens', token_ids), ('banned_strings', strings)) if value}
        _take(settings, skipped, bans, f'banned_tokens={data["banned_tokens"]!r}')
    if isinstance(data.get('logit_bias'), list) and data['logit_bias']:
        _take(settings, skipped, {'logit_bias': logit_bias_entries(data['logit_bias'])},
              f'logit_bias={data["logit_bias"]!r}')


def banned_lines(text: str) -> tuple[list[int], list[str]]:
    """SillyTavern's banned tokens box: a line `[1, 2]` lists token ids, any other line (quoted or not) is a string."""
    token_ids: list[int] = []
    strings: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        parsed = _json_or_none(line) if line.startswith(('[', '"')) else None
        if isinstance(parsed, list) and all(isinstance(item, int) for item in parsed):
            token_ids += parsed
        elif isinstance(parsed, str) and parsed:
            strings.append(parsed)
        elif line:
            strings.append(line)
    return token_ids, strings


def logit_bias_entries(entries: list[Any]) -> dict[str, float] | None:
    """SillyTavern's `[{text, value}]` list; a text `[1, 2]` names token ids, any other text is biased as text."""
    bias: dict[str, float] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get('text'), str) or entry.get('value') is None:
            return None
        parsed = _json_or_none(entry['text']) if entry['text'].startswith('[') else None
        keys = [str(item) for item in parsed] if isinstance(parsed, list) else [entry['text']]
        bias.update(dict.fromkeys(keys, entry['value']))
    return bias


def _take(settings: dict[str, Any], skipped: list[str], values: dict[str, Any], note: str) -> None:
    """Add `values` if each was readable (not None) and they are valid with what was taken so far, else note them."""
    if all(value is not None for value in values.values()) and _valid(settings | values):
        settings.update(values)
    else:
        skipped.append(note)


def _valid(values: dict[str, Any]) -> bool:
    try:
        checked_settings(values)
    except InvalidInputError:
        return False
    return True


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
