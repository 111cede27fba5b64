"""The prompt manager editor of a chat-completion preset, like SillyTavern's: the blocks in their order, each with an
on/off switch, up/down buttons and details to edit (name, role, text, position and depth); custom blocks can be added
and deleted, blocks the order leaves out can be put back, and the utility prompts sit in an expansion. Save writes the
edits into the preset's SillyTavern JSON, leaving everything else in it as it was.

Block details are built the first time a block is opened, so a preset with a hundred blocks opens quickly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.db.models import Preset
from app.errors import TavernError
from app.services.presets import PromptBlock, PromptManagerConfig
from app.services.presets.chat_completion_defaults import UTILITY_DEFAULTS
from app.services.presets.prompt_manager import IN_CHAT, RELATIVE, ROLES

from .confirm_dialog import confirm
from .page_context import PageContext

FIXED_PLACE = ('chatHistory', 'dialogueExamples')
NAMES_BEHAVIORS = (-1, 0, 1, 2)
CONTINUE_POSTFIXES = {'': 'none', ' ': 'space', '\n': 'newline', '\n\n': 'double_newline'}
TEXT_UTILITIES = tuple(name for name, default in UTILITY_DEFAULTS.items()
                       if isinstance(default, str) and name != 'continue_postfix')


class PromptManagerEditor:
    """Calls `on_saved` with the stored preset after every successful save."""

    def __init__(self, ctx: PageContext, preset: Preset, on_saved: Callable[[Preset], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.preset = preset
        self.on_saved = on_saved
        self.config = PromptManagerConfig.from_st(preset.data)
        self.open_blocks: set[str] = set()
        t = ctx.t
        with ui.column().classes('w-full gap-2').mark('prompt-manager'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(t('prompt_manager.title')).classes('text-lg font-bold')
                ui.space()
                ui.button(t('prompt_manager.add_block'), icon='add', on_click=self.add_block).props('outline') \
                    .mark('add-block')
                ui.button(t('common.save'), icon='save', on_click=self.save).mark('save-prompt-manager')
            ui.label(t('prompt_manager.hint')).classes('text-sm opacity-70')
            self.blocks = ui.column().classes('w-full gap-1').mark('prompt-blocks')
            self.unordered = ui.column().classes('w-full gap-1')
            self._utilities()
        self.render()

    def render(self) -> None:
        """Draw the ordered blocks and the blocks outside the order again (after a move, add or delete)."""
        self.blocks.clear()
        with self.blocks:
            for index, (identifier, enabled) in enumerate(self.config.order):
                block = self.config.block(identifier)
                if block is None:
                    self._missing_row(index, identifier)
                else:
                    self._block_row(index, block, enabled)
        self.unordered.clear()
        outside = self.config.unordered()
        if not outside:
            return
        with self.unordered:
            ui.label(self.ctx.t('prompt_manager.unordered')).classes('font-medium mt-2')
            for block in outside:
                self._unordered_row(block)

    def _unordered_row(self, block: PromptBlock) -> None:
        with ui.row().classes('w-full items-center no-wrap gap-2') \
                .mark('unordered-block', f'unordered-block-{block.identifier}'):
            ui.label(block.label).classes('grow min-w-0 truncate')
            ui.button(self.ctx.t('prompt_manager.insert'), icon='playlist_add', on_click=lambda: self._insert(block)) \
                .props('flat dense').mark('block-insert')

    def _block_row(self, index: int, block: PromptBlock, enabled: bool) -> None:
        t = self.ctx.t
        last = len(self.config.order) - 1
        with ui.card().classes('w-full p-2 gap-1').mark('prompt-block', f'prompt-block-{block.identifier}'):
            with ui.row().classes('w-full items-center no-wrap gap-1'):
                ui.switch(value=enabled, on_change=lambda event, i=index: self._toggle(i, bool(event.value))) \
                    .props(f'dense aria-label="{t("prompt_manager.enabled")}"').mark('block-toggle')
                name = ui.label(block.label).classes('grow min-w-0 truncate').mark('block-name')
                ui.label(self._summary(block)).classes('text-xs opacity-70 max-sm:hidden').mark('block-summary')
                self._icon_button('arrow_upward', 'prompt_manager.up', lambda i=index: self._move(i, -1),
                                  'block-up', disabled=index == 0)
                self._icon_button('arrow_downward', 'prompt_manager.down', lambda i=index: self._move(i, 1),
                                  'block-down', disabled=index == last)
                expand = self._icon_button('expand_more', 'prompt_manager.details', None, 'block-expand')
                if block.is_custom:
                    self._icon_button('delete', 'prompt_manager.delete', lambda b=block: self._delete(b),
                                      'block-delete')
            details = ui.column().classes('w-full gap-2 pt-2')
            details.visible = False
            expand.on_click(lambda: self._toggle_details(block, details, name))
            if block.identifier in self.open_blocks:
                self._toggle_details(block, details, name)

    def _missing_row(self, index: int, identifier: str) -> None:
        """An order entry whose block the preset does not have: shown so it can be taken out of the order."""
        with ui.row().classes('w-full items-center no-wrap gap-2 px-2').mark('prompt-block-missing'):
            ui.label(self.ctx.t('prompt_manager.missing', identifier=identifier)).classes('grow text-sm opacity-70')
            self._icon_button('remove_circle_outline', 'prompt_manager.remove', lambda: self._remove_entry(index),
                              'block-remove')

    def _icon_button(self, icon: str, label_key: str, on_click: Callable[[], object] | None, marker: str, *,
                     disabled: bool = False) -> ui.button:
        label = self.ctx.t(label_key)
        button = ui.button(icon=icon, on_click=on_click).props(f'flat dense round aria-label="{label}"') \
            .tooltip(label).mark(marker)
        button.set_enabled(not disabled)
        return button

    def _summary(self, block: PromptBlock) -> str:
        t = self.ctx.t
        if block.marker:
            return t('prompt_manager.marker')
        role = t(f'prompt_manager.role.{block.role}')
        if block.injection_position == IN_CHAT:
            return t('prompt_manager.summary_in_chat', role=role, depth=block.injection_depth)
        return role

    def _toggle_details(self, block: PromptBlock, details: ui.column, name: ui.label) -> None:
        """Show or hide a block's fields; they are built the first time."""
        if not details.visible and not details.default_slot.children:
            with details:
                self._block_fields(block, name)
        details.visible = not details.visible
        if details.visible:
            self.open_blocks.add(block.identifier)
        else:
            self.open_blocks.discard(block.identifier)

    def _block_fields(self, block: PromptBlock, name: ui.label) -> None:
        t = self.ctx.t

        def rename(value: str) -> None:
            block.name = value
            name.text = block.label

        ui.input(t('prompt_manager.name'), value=block.name, on_change=lambda event: rename(event.value or '')) \
            .props('outlined dense').classes('w-full').mark('block-name-input')
        roles = {role: t(f'prompt_manager.role.{role}') for role in ROLES}
        ui.select(roles, label=t('prompt_manager.role'), value=block.role,
                  on_change=lambda event: setattr(block, 'role', event.value)) \
            .props('outlined dense').classes('w-full sm:w-60').mark('block-role')
        if block.marker:
            ui.label(t('prompt_manager.marker_hint')).classes('text-sm opacity-70')
        else:
            ui.textarea(t('prompt_manager.content'), value=block.content,
                        on_change=lambda event: setattr(block, 'content', event.value or '')) \
                .props('outlined autogrow').classes('w-full').mark('block-content')
            ui.checkbox(t('prompt_manager.forbid_overrides'), value=block.forbid_overrides,
                        on_change=lambda event: setattr(block, 'forbid_overrides', bool(event.value))) \
                .mark('block-forbid-overrides')
        if block.identifier not in FIXED_PLACE:
            self._position_fields(block)

    def _position_fields(self, block: PromptBlock) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            positions = {RELATIVE: t('prompt_manager.position.relative'), IN_CHAT: t('prompt_manager.position.in_chat')}
            ui.select(positions, label=t('prompt_manager.position'), value=block.injection_position,
                      on_change=lambda event: self._set_position(block, int(event.value), depth)) \
                .props('outlined dense').classes('w-60').mark('block-position')
            depth = ui.number(t('prompt_manager.depth'), value=block.injection_depth, min=0, max=10_000, step=1,
                              precision=0, on_change=lambda event: self._set_depth(block, event.value)) \
                .props('outlined dense').classes('w-32').mark('block-depth')
            depth.visible = block.injection_position == IN_CHAT

    def _set_position(self, block: PromptBlock, position: int, depth: ui.number) -> None:
        block.injection_position = position
        depth.visible = position == IN_CHAT

    @staticmethod
    def _set_depth(block: PromptBlock, value: float | None) -> None:
        if value is not None:
            block.injection_depth = max(0, int(value))

    def _utilities(self) -> None:
        t = self.ctx.t
        with ui.expansion(t('prompt_manager.utility.title'), icon='tune').classes('w-full border rounded') \
                .mark('utility-prompts'):
            for name in TEXT_UTILITIES:
                self._utility_text(name)
            self._utility_choice('names_behavior', {value: t(f'prompt_manager.names_behavior.{value}')
                                                    for value in NAMES_BEHAVIORS})
            self._utility_choice('continue_postfix', {value: t(f'prompt_manager.continue_postfix.{label}')
                                                      for value, label in CONTINUE_POSTFIXES.items()})
            for name in ('squash_system_messages', 'continue_prefill'):
                ui.switch(t(f'prompt_manager.utility.{name}'), value=getattr(self.config, name),
                          on_change=lambda event, n=name: setattr(self.config, n, bool(event.value))) \
                    .mark(f'utility-{name}')

    def _utility_text(self, name: str) -> None:
        ui.textarea(self.ctx.t(f'prompt_manager.utility.{name}'), value=getattr(self.config, name),
                    on_change=lambda event: setattr(self.config, name, event.value or '')) \
            .props('outlined autogrow dense').classes('w-full').mark(f'utility-{name}')

    def _utility_choice(self, name: str, options: dict) -> None:
        value = getattr(self.config, name)
        if value not in options:
            options[value] = repr(value)
        ui.select(options, label=self.ctx.t(f'prompt_manager.utility.{name}'), value=value,
                  on_change=lambda event: setattr(self.config, name, event.value)) \
            .props('outlined dense').classes('w-full sm:w-96').mark(f'utility-{name}')

    def _toggle(self, index: int, enabled: bool) -> None:
        identifier, _ = self.config.order[index]
        self.config.order[index] = (identifier, enabled)

    def _move(self, index: int, step: int) -> None:
        target = index + step
        order = self.config.order
        if 0 <= target < len(order):
            order[index], order[target] = order[target], order[index]
            self.render()

    def _remove_entry(self, index: int) -> None:
        del self.config.order[index]
        self.render()

    def _insert(self, block: PromptBlock) -> None:
        self.config.order.append((block.identifier, True))
        self.render()

    def add_block(self) -> None:
        """A new custom block at the end of the order, switched on and opened for editing."""
        block = PromptBlock.custom(self.ctx.t('prompt_manager.new_block'))
        self.config.prompts.append(block)
        self.config.order.append((block.identifier, True))
        self.open_blocks.add(block.identifier)
        self.render()

    async def _delete(self, block: PromptBlock) -> None:
        t = self.ctx.t
        if not await confirm(t('prompt_manager.delete_question', name=block.label), ok_label=t('prompt_manager.delete'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        self.config.prompts = [item for item in self.config.prompts if item.identifier != block.identifier]
        self.config.order = [entry for entry in self.config.order if entry[0] != block.identifier]
        self.render()

    async def save(self) -> None:
        """Write the edits into the preset's JSON and store it."""
        data = self.config.to_st(self.preset.data)
        try:
            self.preset = await self.ctx.services.presets.update(self.ctx.user, self.preset.id, data)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        ui.notify(self.ctx.t('prompt_manager.saved'), type='positive')
        await self.on_saved(self.preset)
