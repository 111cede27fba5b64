"""The generation panel's "Load sampler preset" select: the user's text completion, KoboldAI and chat completion
presets, any of which fills the sampler fields (the user still saves), with a note naming values left out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from app.services.sampler_presets import SAMPLER_PRESET_KINDS, settings_from_st_preset

from .page_context import PageContext


async def sampler_preset_picker(ctx: PageContext, on_load: Callable[[dict[str, Any]], None]) -> None:
    """Show the select when the user has sampler presets; choosing one passes its settings to `on_load`."""
    presets = {preset.id: preset for preset in await ctx.services.presets.list(ctx.user)
               if preset.kind in SAMPLER_PRESET_KINDS}
    if not presets:
        return
    options = {preset.id: f'{preset.name} · {ctx.t(f"samplers.preset_kind.{preset.kind}")}'
               for preset in presets.values()}
    picker = ui.select(options, label=ctx.t('samplers.load_preset')).classes('w-full').mark('sampler-preset')
    note = ui.label().classes('text-sm opacity-80').mark('sampler-preset-note')

    def load(preset_id: str | None) -> None:
        if preset_id is None:
            return
        preset = presets[preset_id]
        settings, skipped = settings_from_st_preset(preset.kind, preset.data)
        on_load(settings)
        note.text = ctx.t('samplers.preset_loaded', name=preset.name)
        if skipped:
            note.text += ' ' + ctx.t('samplers.preset_skipped', values=', '.join(skipped))

    picker.on_value_change(lambda event: load(event.value))
