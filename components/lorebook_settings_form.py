"""The world-info settings form (scan depth, budget, recursion, minimum activations, matching defaults, character
strategy), saved per user; the fields and their limits come from `WorldInfoSettingsFields`."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from pydantic import ValidationError

from app.services.lorebooks.settings import WorldInfoSettingsFields

from .page_context import PageContext

NUMBERS = ('scan_depth', 'budget_percent', 'budget_cap', 'max_recursion_steps', 'min_activations',
           'min_activations_depth_max')
FLAGS = ('recursive', 'case_sensitive', 'match_whole_words', 'use_group_scoring', 'include_names', 'overflow_alert')
STRATEGIES = ('evenly', 'character_first', 'global_first')


class WorldInfoSettingsForm:
    def __init__(self, ctx: PageContext, settings: WorldInfoSettingsFields) -> None:
        self.ctx = ctx
        self.inputs: dict[str, Any] = {}
        t = ctx.t
        with ui.column().classes('w-full gap-2').mark('world-info-settings'):
            with ui.row().classes('w-full gap-3 flex-wrap'):
                for name in NUMBERS:
                    limits = WorldInfoSettingsFields.model_fields[name].metadata
                    self.inputs[name] = ui.number(t(f'lorebooks.settings.{name}'), value=getattr(settings, name),
                                                  precision=0, min=_limit(limits, 'ge'), max=_limit(limits, 'le')) \
                        .props('outlined dense').classes('w-44').mark(f'setting-{name}')
                self.inputs['character_strategy'] = ui.select(
                    {index: t(f'lorebooks.settings.strategy.{name}') for index, name in enumerate(STRATEGIES)},
                    value=settings.character_strategy, label=t('lorebooks.settings.character_strategy')) \
                    .props('outlined dense').classes('w-52').mark('setting-character_strategy')
            with ui.row().classes('w-full gap-3 flex-wrap items-center'):
                for name in FLAGS:
                    self.inputs[name] = ui.checkbox(t(f'lorebooks.settings.{name}'), value=getattr(settings, name)) \
                        .mark(f'setting-{name}')
            self.error = ui.label().classes('text-negative text-sm').mark('settings-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('lorebooks.settings.save'), on_click=self.save).mark('save-settings')

    async def save(self) -> None:
        values = {name: int(element.value) if isinstance(element.value, float) else element.value
                  for name, element in self.inputs.items()}
        try:
            fields = WorldInfoSettingsFields.model_validate({name: value for name, value in values.items()
                                                             if value is not None})
        except ValidationError as failure:
            name = str(failure.errors()[0]['loc'][0])
            self.error.text = self.ctx.t('lorebooks.settings.invalid', field=self.ctx.t(f'lorebooks.settings.{name}'))
            return
        self.error.text = ''
        await self.ctx.services.lorebooks.update_world_info_settings(self.ctx.user, fields.to_settings())
        ui.notify(self.ctx.t('lorebooks.settings.saved'), type='positive')


def _limit(metadata: list[Any], name: str) -> int | None:
    return next((getattr(item, name) for item in metadata if hasattr(item, name)), None)
