"""The form for one lorebook entry, with every SillyTavern entry field: title, keys and secondary keys (chips), the
secondary-key logic, content with a token estimate, strategy (normal, constant, vectorized), position with depth and
role for @depth, order, probability, the tri-state matching overrides, scan depth, inclusion group, timed effects,
recursion options, triggers, the extra text sources to match, and on/off.

The form reads a `WorldEntry` and returns the SillyTavern-spelled fields it shows; `EntryFields` checks them, and the
fields it does not show (the character filter, unknown keys) stay untouched because only shown fields are sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from app.services.lorebooks.schemas import EntryFields
from app.services.reply_targets import estimate_tokens
from app.services.world_info.entry import POSITION_AT_DEPTH, POSITION_OUTLET, TRIGGERS, WorldEntry

from .page_context import PageContext

POSITIONS = ('before_char', 'after_char', 'an_top', 'an_bottom', 'at_depth', 'examples_top', 'examples_bottom',
             'outlet')
LOGICS = ('and_any', 'not_all', 'not_any', 'and_all')
ROLES = ('system', 'user', 'assistant')
TRI_STATE_FIELDS = (('caseSensitive', 'case_sensitive'), ('matchWholeWords', 'match_whole_words'),
                    ('useGroupScoring', 'use_group_scoring'))
TRI_STATE = {'default': None, 'yes': True, 'no': False}
OPTIONAL_NUMBERS = (('scanDepth', 'scan_depth'), ('sticky', 'sticky'), ('cooldown', 'cooldown'), ('delay', 'delay'))
MATCH_SOURCES = (('matchPersonaDescription', 'match_persona_description'),
                 ('matchCharacterDescription', 'match_character_description'),
                 ('matchCharacterPersonality', 'match_character_personality'),
                 ('matchCharacterDepthPrompt', 'match_character_depth_prompt'),
                 ('matchScenario', 'match_scenario'), ('matchCreatorNotes', 'match_creator_notes'))
FLAGS = (('excludeRecursion', 'exclude_recursion'), ('preventRecursion', 'prevent_recursion'),
         ('ignoreBudget', 'ignore_budget'))
ROW = 'w-full gap-3 items-start flex-wrap'


def position_options(t: Callable[..., str]) -> dict[int, str]:
    return {index: t(f'lorebooks.position.{name}') for index, name in enumerate(POSITIONS)}


def status_of(entry: WorldEntry) -> str:
    return 'constant' if entry.constant else 'vectorized' if entry.vectorized else 'normal'


class LorebookEntryForm:
    """Inputs for one entry; `on_save` receives the validated fields to store."""

    def __init__(self, ctx: PageContext, entry: WorldEntry,
                 on_save: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.entry = entry
        self.on_save = on_save
        self.inputs: dict[str, Any] = {}
        t = ctx.t
        with ui.column().classes('w-full gap-3').mark(f'entry-form-{entry.uid}'):
            self._texts()
            self._placement()
            self._activation()
            self._groups_and_timing()
            self._sources()
            self.error = ui.label().classes('text-negative text-sm').mark('entry-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('lorebooks.entry.save'), icon='save', on_click=self.save).mark(f'save-entry-{entry.uid}')

    def _texts(self) -> None:
        t, entry = self.ctx.t, self.entry
        self.inputs['comment'] = ui.input(t('lorebooks.entry.comment'), value=entry.comment) \
            .props('outlined dense').classes('w-full').mark('entry-comment')
        with ui.row().classes(ROW):
            self.inputs['key'] = self._chips(t('lorebooks.entry.keys'), entry.key).mark('entry-keys')
            self.inputs['keysecondary'] = self._chips(t('lorebooks.entry.secondary_keys'), entry.secondary_keys) \
                .mark('entry-secondary-keys')
            self.inputs['selectiveLogic'] = ui.select(
                {index: t(f'lorebooks.logic.{name}') for index, name in enumerate(LOGICS)},
                value=entry.selective_logic, label=t('lorebooks.entry.logic')).props('outlined dense') \
                .classes('w-40').mark('entry-logic')
        self.inputs['content'] = ui.textarea(t('lorebooks.entry.content'), value=entry.content,
                                             on_change=self._count_tokens) \
            .props('outlined autogrow').classes('w-full').mark('entry-content')
        self.tokens = ui.label().classes('text-xs opacity-70 -mt-2').mark('entry-tokens')
        self._count_tokens()

    def _placement(self) -> None:
        t, entry = self.ctx.t, self.entry
        with ui.row().classes(ROW):
            self.status = ui.select({name: t(f'lorebooks.status.{name}') for name in
                                     ('normal', 'constant', 'vectorized')}, value=status_of(entry),
                                    label=t('lorebooks.entry.status')).props('outlined dense').classes('w-40') \
                .mark('entry-status')
            self.inputs['position'] = ui.select(position_options(t), value=entry.position,
                                                label=t('lorebooks.entry.position'),
                                                on_change=self._show_position_details) \
                .props('outlined dense').classes('w-56').mark('entry-position')
            self.inputs['depth'] = self._number(t('lorebooks.entry.depth'), entry.depth, 0).mark('entry-depth')
            self.inputs['role'] = ui.select({index: t(f'lorebooks.role.{name}') for index, name in enumerate(ROLES)},
                                            value=entry.role, label=t('lorebooks.entry.role')) \
                .props('outlined dense').classes('w-36').mark('entry-role')
            self.inputs['outletName'] = ui.input(t('lorebooks.entry.outlet_name'), value=entry.outlet_name) \
                .props('outlined dense').classes('w-48').mark('entry-outlet')
            self.inputs['order'] = self._number(t('lorebooks.entry.order'), entry.order, None).mark('entry-order')
        self._show_position_details()

    def _activation(self) -> None:
        t, entry = self.ctx.t, self.entry
        with ui.row().classes(ROW + ' items-center'):
            self.inputs['probability'] = self._number(t('lorebooks.entry.probability'), entry.probability, 0) \
                .props('max=100').mark('entry-probability')
            self.inputs['useProbability'] = ui.checkbox(t('lorebooks.entry.use_probability'),
                                                        value=entry.use_probability).mark('entry-use-probability')
            for st_key, attr in TRI_STATE_FIELDS:
                value = next(name for name, flag in TRI_STATE.items() if flag == getattr(entry, attr))
                self.inputs[st_key] = ui.select({name: t(f'lorebooks.tri_state.{name}') for name in TRI_STATE},
                                                value=value, label=t(f'lorebooks.entry.{attr}')) \
                    .props('outlined dense').classes('w-40').mark(f'entry-{attr}')
            self.inputs['scanDepth'] = self._number(t('lorebooks.entry.scan_depth'), entry.scan_depth, 0) \
                .props(f'placeholder="{t("lorebooks.entry.use_global")}"').mark('entry-scan-depth')

    def _groups_and_timing(self) -> None:
        t, entry = self.ctx.t, self.entry
        with ui.row().classes(ROW + ' items-center'):
            self.inputs['group'] = ui.input(t('lorebooks.entry.group'), value=entry.group) \
                .props('outlined dense').classes('w-48').mark('entry-group')
            self.inputs['groupWeight'] = self._number(t('lorebooks.entry.group_weight'), entry.group_weight, 0) \
                .mark('entry-group-weight')
            self.inputs['groupOverride'] = ui.checkbox(t('lorebooks.entry.group_override'),
                                                       value=entry.group_override).mark('entry-group-override')
        with ui.row().classes(ROW + ' items-center'):
            for st_key, attr in OPTIONAL_NUMBERS[1:]:
                self.inputs[st_key] = self._number(t(f'lorebooks.entry.{attr}'), getattr(entry, attr), 0) \
                    .mark(f'entry-{attr}')
            self.inputs['delayUntilRecursion'] = self._number(t('lorebooks.entry.delay_until_recursion'),
                                                              entry.delay_until_recursion, 0) \
                .mark('entry-delay-until-recursion')
        with ui.row().classes(ROW + ' items-center'):
            for st_key, attr in FLAGS:
                self.inputs[st_key] = ui.checkbox(t(f'lorebooks.entry.{attr}'), value=getattr(entry, attr)) \
                    .mark(f'entry-{attr}')
            self.inputs['triggers'] = ui.select({name: t(f'lorebooks.trigger.{name}') for name in TRIGGERS},
                                                value=list(entry.triggers), multiple=True,
                                                label=t('lorebooks.entry.triggers')) \
                .props('outlined dense use-chips').classes('min-w-56').mark('entry-triggers')

    def _sources(self) -> None:
        t, entry = self.ctx.t, self.entry
        ui.label(t('lorebooks.entry.match_sources')).classes('text-sm font-medium')
        with ui.row().classes(ROW + ' items-center'):
            for st_key, attr in MATCH_SOURCES:
                self.inputs[st_key] = ui.checkbox(t(f'lorebooks.entry.{attr}'), value=getattr(entry, attr)) \
                    .mark(f'entry-{attr}')
        with ui.row().classes(ROW + ' items-center'):
            self.inputs['automationId'] = ui.input(t('lorebooks.entry.automation_id'), value=entry.automation_id) \
                .props('outlined dense').classes('w-48').mark('entry-automation-id')
            self.inputs['disable'] = ui.checkbox(t('lorebooks.entry.disable'), value=entry.disable) \
                .mark('entry-disable')

    def _chips(self, label: str, values: list[str]) -> ui.input_chips:
        return ui.input_chips(label, value=list(values), new_value_mode='add-unique') \
            .props('outlined dense').classes('min-w-64 grow')

    def _number(self, label: str, value: int | None, minimum: int | None) -> ui.number:
        return ui.number(label, value=value, min=minimum, precision=0).props('outlined dense').classes('w-36')

    def _count_tokens(self) -> None:
        text = self.inputs['content'].value or ''
        self.tokens.text = self.ctx.t('lorebooks.entry.tokens', count=estimate_tokens(text))

    def _show_position_details(self) -> None:
        position = self.inputs['position'].value
        self.inputs['depth'].visible = self.inputs['role'].visible = position == POSITION_AT_DEPTH
        self.inputs['outletName'].visible = position == POSITION_OUTLET

    def values(self) -> dict[str, Any]:
        """The shown fields in SillyTavern's spelling, as entered."""
        values = {name: element.value for name, element in self.inputs.items()}
        for st_key, _ in TRI_STATE_FIELDS:
            values[st_key] = TRI_STATE[values[st_key]]
        for name, value in values.items():
            if isinstance(value, float):
                values[name] = int(value)
        for name in ('depth', 'order', 'probability', 'groupWeight', 'delayUntilRecursion'):
            if values[name] is None:
                values[name] = EntryFields.model_fields[name].default
        status = self.status.value
        values.update(constant=status == 'constant', vectorized=status == 'vectorized',
                      comment=values['comment'] or '', content=values['content'] or '')
        return values

    async def save(self) -> None:
        self.error.text = ''
        try:
            fields = EntryFields.model_validate(self.values())
        except ValidationError as failure:
            detail = failure.errors()[0]
            self.error.text = self.ctx.t('lorebooks.entry.invalid', field=str(detail['loc'][0]), reason=detail['msg'])
            return
        await self.on_save(fields.changes())
