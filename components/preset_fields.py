"""The fields of an instruct, context or system prompt preset as a form (text areas for sequences and the story
string, switches for flags, numbers), and a sampler preset's values shown read-only.

The form edits the preset's SillyTavern JSON key by key in the order the file has them; keys it cannot edit (lists,
objects) are shown as they are and saved unchanged. The name is changed with Rename, not here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from app.db.models import Preset
from app.errors import TavernError

from .page_context import PageContext


def field_label(ctx: PageContext, key: str) -> str:
    """The field's label in the page's language, with SillyTavern's key so users can match it with their notes."""
    text = ctx.t(f'preset_field.{key}')
    return key if text == f'preset_field.{key}' else f'{text} ({key})'


class PresetFieldsForm:
    """Calls `on_saved` with the stored preset after every successful save."""

    def __init__(self, ctx: PageContext, preset: Preset, on_saved: Callable[[Preset], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.preset = preset
        self.on_saved = on_saved
        self.values: dict[str, Any] = dict(preset.data)
        with ui.column().classes('w-full gap-2').mark('preset-fields'):
            for key, value in preset.data.items():
                if key != 'name':
                    self._field(key, value)
            with ui.row().classes('w-full justify-end'):
                ui.button(ctx.t('common.save'), icon='save', on_click=self.save).mark('save-preset-fields')

    def _field(self, key: str, value: Any) -> None:
        label = field_label(self.ctx, key)
        if isinstance(value, bool):
            ui.switch(label, value=value, on_change=lambda event: self._set(key, bool(event.value))) \
                .mark(f'field-{key}')
        elif isinstance(value, str):
            ui.textarea(label, value=value, on_change=lambda event: self._set(key, event.value or '')) \
                .props('outlined autogrow input-class=font-mono').classes('w-full').mark(f'field-{key}')
        elif isinstance(value, int | float):
            ui.number(label, value=value, on_change=lambda event: self._set_number(key, value, event.value)) \
                .props('outlined dense').classes('w-60').mark(f'field-{key}')
        else:
            with ui.column().classes('w-full gap-0'):
                ui.label(label).classes('text-sm opacity-70')
                ui.label(json.dumps(value, ensure_ascii=False)).classes('font-mono text-sm break-all')

    def _set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def _set_number(self, key: str, original: int | float, value: float | None) -> None:
        """Keep whole numbers as integers when the file had an integer; an emptied field keeps the old value."""
        if value is None:
            return
        self.values[key] = int(value) if isinstance(original, int) and float(value).is_integer() else value

    async def save(self) -> None:
        try:
            self.preset = await self.ctx.services.presets.update(self.ctx.user, self.preset.id, dict(self.values))
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        ui.notify(self.ctx.t('presets.saved'), type='positive')
        await self.on_saved(self.preset)


def sampler_values(ctx: PageContext, preset: Preset) -> None:
    """A sampler preset's values, read-only: they are applied from a chat's generation settings."""
    ui.label(ctx.t('presets.sampler_hint')).classes('text-sm opacity-70')
    with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 gap-x-6 gap-y-1').mark('sampler-values'):
        for key, value in preset.data.items():
            with ui.row().classes('w-full no-wrap gap-2 items-baseline border-b'):
                ui.label(key).classes('font-mono text-sm grow')
                ui.label(json.dumps(value, ensure_ascii=False)).classes('font-mono text-sm break-all text-right') \
                    .mark(f'sampler-{key}')
