"""The sampler fields of the generation panel: every setting the chat's backend accepts, grouped, each with its
range, a tooltip saying what it does and a reset to "unset" (the connection's value, else the backend's default).

Groups other than Basic are built when first opened, so the panel opens fast even for KoboldCpp's forty settings.
The values live in `SamplerForm.shown` (as the widgets show them), not in the widgets, so a group never opened, or
hidden by a change of connection, still saves what it holds; `values()` reads them back as stored settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from annotated_types import Ge, Le
from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement

from app.services.generation_settings import GenerationSettings
from app.services.providers.sampler_wire import is_token_id

GROUPS: dict[str, tuple[str, ...]] = {
    'basic': ('temperature', 'top_p', 'top_k', 'min_p', 'max_tokens', 'context_size', 'stop'),
    'penalties': ('repetition_penalty', 'repetition_penalty_range', 'repetition_penalty_slope', 'frequency_penalty',
                  'presence_penalty', 'no_repeat_ngram_size'),
    'mirostat': ('mirostat_mode', 'mirostat_tau', 'mirostat_eta'),
    'dry': ('dry_multiplier', 'dry_base', 'dry_allowed_length', 'dry_penalty_last_n', 'dry_sequence_breakers'),
    'xtc': ('xtc_threshold', 'xtc_probability'),
    'dynatemp': ('min_temp', 'max_temp', 'dynatemp_exponent'),
    'advanced': ('typical_p', 'tfs', 'top_a', 'epsilon_cutoff', 'eta_cutoff', 'smoothing_factor', 'smoothing_curve',
                 'seed', 'min_length', 'ban_eos_token', 'banned_tokens', 'banned_strings', 'logit_bias'),
}
OPEN_GROUP = 'basic'
FIELD_KEYS = tuple(key for keys in GROUPS.values() for key in keys)
CHAT_KEYS = frozenset({'max_tokens', 'context_size', 'stop'})
"""Kept when a preset is loaded without them: they belong to the chat more than to a sampler preset."""
ALWAYS_SHOWN = frozenset({'context_size'})
"""Not a sampler: every backend's prompt is built to fit it."""
STEPS = {'temperature': 0.05, 'min_temp': 0.05, 'max_temp': 0.05, 'context_size': 256, 'mirostat_tau': 0.1,
         'dry_base': 0.05, 'repetition_penalty_slope': 0.1, 'smoothing_factor': 0.05, 'smoothing_curve': 0.05,
         'dynatemp_exponent': 0.05, 'eta_cutoff': 0.1, 'epsilon_cutoff': 0.1}
LINES = frozenset({'stop', 'banned_strings'})
INTEGERS = frozenset(key for key, field in GenerationSettings.model_fields.items() if field.annotation == int | None)


class UnreadableField(ValueError):
    """A field's text cannot be read; `reason` is the i18n key of what to write instead."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


class SamplerForm:
    """The grouped fields inside `container`; `show_for` (re)builds them for a backend's accepted settings."""

    def __init__(self, t: Callable[..., str], settings: dict[str, Any]) -> None:
        self.t = t
        self.shown: dict[str, Any] = {key: as_shown(key, settings.get(key)) for key in FIELD_KEYS}
        self.widgets: dict[str, ValueElement] = {}
        self.container = ui.column().classes('w-full gap-0').mark('sampler-groups')

    def show_for(self, accepted: frozenset[str]) -> None:
        """Show the groups holding settings in `accepted`, Basic open; a group's fields are built on first open."""
        self.container.clear()
        self.widgets.clear()
        with self.container:
            for group, keys in GROUPS.items():
                visible = [key for key in keys if key in accepted or key in ALWAYS_SHOWN]
                if visible:
                    self._group(group, visible)

    def reset(self, key: str) -> None:
        self._set(key, as_shown(key, None))

    def reset_all(self) -> None:
        for key in FIELD_KEYS:
            self.reset(key)

    def load(self, settings: dict[str, Any], accepted: frozenset[str]) -> None:
        """Take a preset's settings the backend accepts; the other sampler fields go back to unset."""
        for key in FIELD_KEYS:
            if key in settings and (key in accepted or key in ALWAYS_SHOWN):
                self._set(key, as_shown(key, settings[key]))
            elif key not in CHAT_KEYS:
                self.reset(key)

    def values(self) -> dict[str, Any]:
        """The settings as stored (None where unset); raises `UnreadableField` for text that cannot be read."""
        return {key: as_stored(key, self.shown[key]) for key in FIELD_KEYS}

    def label(self, key: str) -> str:
        return self.t(f'generation.{key}')

    def _set(self, key: str, shown: Any) -> None:
        self.shown[key] = shown
        if key in self.widgets:
            self.widgets[key].value = shown

    def _group(self, group: str, keys: list[str]) -> None:
        expansion = ui.expansion(self.t(f'samplers.group.{group}'), value=group == OPEN_GROUP) \
            .classes('w-full').props('dense header-class="px-0"').mark(f'sampler-group-{group}')

        def build_on_first_open(opened: bool) -> None:
            if opened and not expansion.default_slot.children:
                with expansion:
                    for key in keys:
                        self._field(key)

        build_on_first_open(expansion.value)
        expansion.on_value_change(lambda event: build_on_first_open(event.value))

    def _field(self, key: str) -> None:
        with ui.row().classes('w-full items-center no-wrap gap-1'):
            widget = self._widget(key).classes('grow').mark(f'generation-{key}')
            widget.on_value_change(lambda event: self.shown.__setitem__(key, event.value))
            widget.tooltip(self.t(f'samplers.help.{key}'))
            ui.button(icon='restart_alt', on_click=lambda: self.reset(key)) \
                .props(f'flat round dense size=sm aria-label="{self.t("samplers.reset_field")}"') \
                .mark(f'reset-{key}').tooltip(self.t('samplers.reset_field'))
        self.widgets[key] = widget

    def _widget(self, key: str) -> ValueElement:
        label, value = self.label(key), self.shown[key]
        if key == 'mirostat_mode':
            options = {'': self.t('generation.default_value'), 0: self.t('samplers.mirostat_off'),
                       1: self.t('samplers.mirostat_1'), 2: self.t('samplers.mirostat_2')}
            return ui.select(options, value=value, label=label).props('dense')
        if key == 'ban_eos_token':
            options = {'': self.t('generation.default_value'), True: self.t('samplers.yes'),
                       False: self.t('samplers.no')}
            return ui.select(options, value=value, label=label).props('dense')
        if key in LINES or key == 'logit_bias':
            return ui.textarea(label, value=value).props('autogrow outlined dense')
        if key in ('banned_tokens', 'dry_sequence_breakers'):
            return ui.input(label, value=value).props('dense')
        low, high = value_range(key)
        number = ui.number(label, value=value, min=low, max=high, step=_step(key),
                           placeholder=self.t('generation.default_value')).props('dense clearable')
        number.props['hint'] = self.t('samplers.range', low=_plain(low), high=_plain(high))
        return number


def value_range(key: str) -> tuple[float, float]:
    """The lowest and highest value `GenerationSettings` accepts for a number field."""
    metadata = GenerationSettings.model_fields[key].metadata
    low = next(item.ge for item in metadata if isinstance(item, Ge))
    high = next(item.le for item in metadata if isinstance(item, Le))
    return low, high


def as_shown(key: str, value: Any) -> Any:
    """A stored value as its widget shows it; unset is None for numbers, '' for choices and text."""
    if key in LINES:
        return '\n'.join(value or [])
    if key == 'banned_tokens':
        return ', '.join(str(token) for token in value or [])
    if key == 'dry_sequence_breakers':
        return json.dumps(value, ensure_ascii=False) if value else ''
    if key == 'logit_bias':
        return '\n'.join(f'{_bias_key_text(text)} = {_plain(bias)}' for text, bias in (value or {}).items())
    if key in ('mirostat_mode', 'ban_eos_token'):
        return '' if value is None else value
    return value


def as_stored(key: str, shown: Any) -> Any:
    """A widget's value as a stored setting, None when unset; `UnreadableField` when the text cannot be read."""
    if shown in (None, ''):
        return None
    if key in LINES:
        return [line for line in shown.splitlines() if line.strip()] or None
    if key == 'banned_tokens':
        return _token_ids(shown)
    if key == 'dry_sequence_breakers':
        return _string_list(shown)
    if key == 'logit_bias':
        return _bias_lines(shown)
    if key in INTEGERS:
        return int(shown)
    return shown if key in ('mirostat_mode', 'ban_eos_token') else float(shown)


def _token_ids(text: str) -> list[int] | None:
    parts = text.replace(',', ' ').split()
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise UnreadableField('banned_tokens', 'samplers.not_a_number')
    return [int(part) for part in parts] or None


def _string_list(text: str) -> list[str]:
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise UnreadableField('dry_sequence_breakers', 'samplers.not_a_json_list')
    return items


def _bias_lines(text: str) -> dict[str, float] | None:
    """`token id or text = bias` per line; text in double quotes is read as JSON, keeping its spaces."""
    bias: dict[str, float] = {}
    for line in (line for line in text.splitlines() if line.strip()):
        key_text, equals, number = line.rpartition('=')
        key = key_text.strip()
        try:
            key = json.loads(key) if key.startswith('"') else key
            value = float(number)
        except ValueError:
            raise UnreadableField('logit_bias', 'samplers.not_a_bias_line') from None
        if not equals or not isinstance(key, str) or not key:
            raise UnreadableField('logit_bias', 'samplers.not_a_bias_line')
        bias[key] = value
    return bias or None


def _bias_key_text(key: str) -> str:
    """A logit bias key as written in the box: quoted when spaces, '=' or a leading quote would otherwise be lost."""
    plain = key == key.strip() and '=' not in key and not key.startswith('"')
    return key if plain or is_token_id(key) else json.dumps(key, ensure_ascii=False)


def _step(key: str) -> float:
    return 1 if key in INTEGERS and key not in STEPS else STEPS.get(key, 0.01)


def _plain(number: float) -> str:
    """`2000000` rather than `2e+06`, `0.5` rather than `0.50`."""
    return f'{number:.10g}' if abs(number) < 1e10 else str(int(number))
