"""UI slots: the places in the app's pages where enabled plugins add their own controls (plugin spec "UI slots").

A slot asks every plugin enabled for the viewer for builders (`ui_slot` hook) and calls each one inside its own
container. A builder that raises or hangs leaves a small error chip instead of its controls, and the error shows on
the plugins page; the rest of the page never notices. `target.refresh()` draws the slot again (a plugin calls it
after its state changed). Slots cost nothing when no plugin implements `ui_slot`.
"""

from __future__ import annotations

import asyncio
import dataclasses

from nicegui import background_tasks, ui

from app.plugins.chat_bridge import guarded
from plugins.sdk import SlotTarget

from .page_context import PageContext

ROW = 'flex flex-wrap items-center gap-1'
COLUMN = 'flex flex-col w-full gap-2'


def slot_target(ctx: PageContext, slot: str, **about: object) -> SlotTarget:
    """The target of `slot` for this page's viewer; `about` names what the slot is about (chat_id, message …)."""
    return SlotTarget(slot=slot, user=ctx.user, locale=ctx.locale, **about)  # type: ignore[arg-type]


def slot_declared(ctx: PageContext, slot: str) -> bool:
    """Whether a plugin enabled for the viewer declares `slot` in its manifest (for slots drawn many times a page)."""
    plugins = ctx.services.plugins
    return plugins.has_impls('ui_slot') and any(
        slot in plugin.manifest.contributes.slots and plugins.is_enabled(plugin.id, ctx.user)
        for plugin in plugins.loaded())


async def plugin_slot(ctx: PageContext, slot: str, target: SlotTarget, *, classes: str = ROW) -> None:
    """Draw `slot` here: every enabled plugin's builders for `target`, each isolated."""
    if ctx.services.plugins.has_impls('ui_slot'):
        await PluginSlot(ctx, slot, target, classes).draw()


def plugin_slot_later(ctx: PageContext, slot: str, target: SlotTarget, *, classes: str = ROW) -> None:
    """Like `plugin_slot`, for synchronous page code: the container goes here now, its content comes a moment later."""
    if ctx.services.plugins.has_impls('ui_slot'):
        PluginSlot(ctx, slot, target, classes).draw_later()


class PluginSlot:
    """The container of one slot on the page; created where it should appear, drawn now or later."""

    def __init__(self, ctx: PageContext, slot: str, target: SlotTarget, classes: str = ROW) -> None:
        self.ctx = ctx
        self.slot = slot
        self.target = dataclasses.replace(target, slot=slot, refresh=self.draw_later)
        self.box = ui.element('div').classes(classes).mark(f'plugin-slot-{slot}')

    def draw_later(self) -> asyncio.Task:
        """Draw the slot in the background (from a synchronous caller); returns the task, which may be awaited."""
        return background_tasks.create(self.draw(), name=f'plugin slot {self.slot}')

    async def draw(self) -> None:
        plugins = self.ctx.services.plugins
        results = await plugins.call_each('ui_slot', user=self.ctx.user, slot=self.slot, target=self.target)
        if self.box.is_deleted:
            return
        self.box.clear()
        for plugin_id, result in results:
            for builder in result if isinstance(result, list | tuple) else [result]:
                await self._build(plugin_id, builder)

    async def _build(self, plugin_id: str, builder: object) -> None:
        plugins = self.ctx.services.plugins
        with self.box:
            cell = ui.element('div').classes('contents').mark(f'plugin-{plugin_id}')
        with cell:
            built, _ = await guarded(plugins, plugin_id, f'ui_slot:{self.slot}', builder, self.target)  # type: ignore[arg-type]
        if not built and not cell.is_deleted:
            cell.clear()
            name = plugins.get(plugin_id).manifest.name
            with cell:
                ui.chip(self.ctx.t('plugin_hooks.slot_failed', plugin=name), icon='error_outline', color='negative') \
                    .props('dense outline').mark(f'plugin-error-{plugin_id}') \
                    .tooltip(self.ctx.t('plugin_hooks.slot_failed_hint'))
