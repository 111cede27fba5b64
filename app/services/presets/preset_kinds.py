"""What kind of SillyTavern preset a JSON file holds, told from its keys the way SillyTavern's folders separate them.

Kinds: `chat_completion` ("OpenAI Settings": prompt manager plus sampler keys), `textgen` ("TextGen Settings"),
`kobold` ("KoboldAI Settings"), `instruct` and `context` (Advanced Formatting templates) and `sysprompt` (system
prompts). A "master export" of Advanced Formatting bundles instruct, context and system prompt in one object and is
split into one preset per section. Quick Replies sets and anything else are refused with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ...errors import InvalidInputError, PayloadTooLargeError

CHAT_COMPLETION = 'chat_completion'
TEXTGEN = 'textgen'
KOBOLD = 'kobold'
INSTRUCT = 'instruct'
CONTEXT = 'context'
SYSPROMPT = 'sysprompt'
KINDS = (CHAT_COMPLETION, TEXTGEN, KOBOLD, INSTRUCT, CONTEXT, SYSPROMPT)
SAMPLER_KINDS = (TEXTGEN, KOBOLD)
MASTER = 'master'
MASTER_SECTIONS = (INSTRUCT, CONTEXT, SYSPROMPT)
MAX_NAME = 200
MEGABYTE = 1024 * 1024

CHAT_COMPLETION_KEYS = frozenset({'prompts', 'prompt_order', 'openai_max_context', 'openai_max_tokens',
                                  'chat_completion_source', 'openai_model'})
TEXTGEN_ONLY_KEYS = frozenset({'sampler_priority', 'typical_p', 'temperature_last', 'dynatemp', 'min_temp',
                               'max_temp', 'freq_pen', 'presence_pen', 'num_beams', 'penalty_alpha', 'mirostat_mode',
                               'dry_multiplier', 'smoothing_factor', 'ban_eos_token', 'skip_special_tokens',
                               'add_bos_token', 'banned_tokens', 'samplers', 'xtc_threshold'})
KOBOLD_SAMPLERS = 7
SYSPROMPT_KEYS = frozenset({'name', 'content', 'post_history'})
QUICK_REPLY_KEYS = frozenset({'qrList', 'quickReplySlots'})
LOOKED_FOR = ('prompts or openai_max_context (chat completion), temp with sampler_priority (Text Completion), '
              'temp and rep_pen with a 7-step sampler_order (KoboldAI), input_sequence (instruct template), '
              'story_string (context template), only name and content (system prompt), or instruct, context and '
              'sysprompt sections (master export)')


@dataclass(frozen=True)
class PresetPart:
    """One preset found in a file: its kind, its name and its SillyTavern JSON, unchanged."""

    kind: str
    name: str
    data: dict[str, Any]


def detect_kind(data: Any, filename: str) -> str:
    """The kind of preset `data` is (one of `KINDS`, or `MASTER` for a bundle), or `InvalidInputError`."""
    if not isinstance(data, dict):
        raise InvalidInputError('error.presets.not_an_object',
                                f'{filename} is not a preset: it holds a JSON {_json_type(data)}, not an object.',
                                filename=filename)
    keys = set(data)
    if keys & QUICK_REPLY_KEYS:
        raise InvalidInputError('error.presets.quick_replies',
                                f'{filename} is a Quick Replies set, not a preset; Quick Replies cannot be imported '
                                'here.', filename=filename)
    if any(isinstance(data.get(section), dict) for section in MASTER_SECTIONS):
        return MASTER
    if keys & CHAT_COMPLETION_KEYS:
        return CHAT_COMPLETION
    if 'input_sequence' in keys:
        return INSTRUCT
    if 'story_string' in keys:
        return CONTEXT
    if 'temp' in keys and keys & TEXTGEN_ONLY_KEYS:
        return TEXTGEN
    if _is_kobold(data):
        return KOBOLD
    if isinstance(data.get('content'), str) and keys <= SYSPROMPT_KEYS:
        return SYSPROMPT
    raise InvalidInputError('error.presets.unknown_kind',
                            f'{filename} is not a SillyTavern preset this app knows. Looked for {LOOKED_FOR}.',
                            filename=filename)


def preset_parts(data: Any, filename: str) -> list[PresetPart]:
    """The presets in one parsed file: one, or one per section of a master export."""
    kind = detect_kind(data, filename)
    if kind != MASTER:
        return [PresetPart(kind, preset_name(data, filename), data)]
    return [PresetPart(section, preset_name(data[section], filename), data[section])
            for section in MASTER_SECTIONS if isinstance(data.get(section), dict)]


def read_preset_file(raw: bytes, filename: str, max_bytes: int) -> list[PresetPart]:
    """Decode an uploaded preset file: size first, then JSON, then its kind; every refusal names the file."""
    if len(raw) > max_bytes:
        megabytes = max(1, max_bytes // MEGABYTE)
        raise PayloadTooLargeError('error.presets.too_large',
                                   f'{filename} is larger than {megabytes} MB; presets are much smaller.',
                                   filename=filename, limit=megabytes)
    try:
        data = json.loads(raw.decode('utf-8-sig'))
    except UnicodeDecodeError as error:
        raise InvalidInputError('error.presets.not_text', f'{filename} is not a UTF-8 text file, so not a preset.',
                                filename=filename) from error
    except json.JSONDecodeError as error:
        raise InvalidInputError('error.presets.not_json',
                                f'{filename} is not valid JSON: {error.msg} at line {error.lineno}, column '
                                f'{error.colno}.', filename=filename, problem=error.msg, line=error.lineno,
                                column=error.colno) from error
    return preset_parts(data, filename)


def preset_name(data: dict[str, Any], filename: str) -> str:
    """The preset's own `name`, else the file name without its folder and `.json`."""
    own = data.get('name')
    if isinstance(own, str) and own.strip():
        return own.strip()[:MAX_NAME]
    stem = PurePosixPath(filename.replace('\\', '/')).name
    if stem.lower().endswith('.json'):
        stem = stem[:-len('.json')]
    return stem.strip()[:MAX_NAME] or 'Preset'


def _is_kobold(data: dict[str, Any]) -> bool:
    order = data.get('sampler_order')
    return 'temp' in data and 'rep_pen' in data and isinstance(order, list) and len(order) == KOBOLD_SAMPLERS


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return 'list'
    if isinstance(value, str):
        return 'string'
    return 'number' if isinstance(value, int | float) and not isinstance(value, bool) else 'value'
