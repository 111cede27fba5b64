"""The plugin's page, `/p/regex_scripts/` (the user's scripts: add, edit, switch, delete, import from SillyTavern
files or character cards, export, and try them on a text), and the short list in the plugin's settings slot."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui
from pydantic import ValidationError

from plugins.sdk import PluginContext, PluginPage, SlotTarget

from .engine import Names, ScriptProblem, Where, applies, compile_find, run_all
from .models import AI_OUTPUT, PLACEMENTS, USER_INPUT, RegexScript, ScriptData
from .sillytavern import ImportProblem, read_scripts_file, write_scripts_file
from .store import ScriptLimitReached, add_scripts, delete_script, save_script, set_disabled, user_scripts

PAGE_PATH = '/p/regex_scripts/'
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TRY_AS: dict[str, tuple[Where, int]] = {'user': ('stored', USER_INPUT), 'reply': ('stored', AI_OUTPUT),
                                        'display_user': ('display', USER_INPUT),
                                        'display_reply': ('display', AI_OUTPUT),
                                        'prompt_user': ('prompt', USER_INPUT), 'prompt_reply': ('prompt', AI_OUTPUT)}


class ScriptsPage:
    def __init__(self, ctx: PluginContext, page: PluginPage) -> None:
        self.ctx = ctx
        self.user_id: str = page.user.id
        self.locale = page.locale

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.locale, **params)

    async def build(self) -> None:
        ui.label(self.t('page.title')).classes('text-2xl font-bold')
        ui.label(self.t('page.intro')).classes('opacity-80')
        with ui.row().classes('items-center gap-2'):
            ui.button(self.t('page.new'), icon='add', on_click=lambda: ScriptEditor(self, None).open()) \
                .mark('rx-new')
            ui.upload(label=self.t('page.import'), auto_upload=True, max_file_size=MAX_UPLOAD_BYTES,
                      on_upload=self.imported).props('accept=.json,.png flat bordered').classes('w-80') \
                .mark('rx-import')
            ui.button(self.t('page.export'), icon='download', on_click=self.export).props('flat').mark('rx-export')
        self.import_error = ui.label().classes('text-negative text-sm').mark('rx-import-error')
        self.list = ui.column().classes('w-full gap-2').mark('rx-scripts')
        self._try_panel()
        await self.refresh()

    async def refresh(self) -> None:
        rows = await user_scripts(self.ctx, self.user_id)
        self.list.clear()
        with self.list:
            if not rows:
                ui.label(self.t('page.empty')).classes('opacity-70').mark('rx-empty')
            for row in rows:
                self._row(row)

    def _row(self, row: RegexScript) -> None:
        data, mark = row.data(), f'rx-script-{row.id}'
        with ui.card().classes('w-full').mark(mark), ui.row().classes('w-full items-center gap-2'):
            ui.switch(value=not data.disabled,
                      on_change=lambda event, row_id=row.id: self.switch(row_id, event.value)) \
                .props(f'aria-label="{self.t("script.on")}"').mark(f'{mark}-on')
            ui.label(data.name).classes('font-bold')
            for placement in data.placement:
                ui.chip(self.t(f'placement.{placement}')).props('dense outline')
            ui.chip(self.t(f'mode.{mode_of(data)}')).props('dense color=primary outline')
            if data.character_name:
                ui.chip(data.character_name, icon='person').props('dense outline').tooltip(self.t('script.scoped'))
            ui.space()
            ui.button(icon='edit', on_click=lambda row=row: ScriptEditor(self, row).open()) \
                .props(f'flat round dense aria-label="{self.t("script.edit")}"').mark(f'{mark}-edit')
            ui.button(icon='delete', on_click=lambda row_id=row.id: self.delete(row_id)) \
                .props(f'flat round dense color=negative aria-label="{self.t("script.delete")}"') \
                .mark(f'{mark}-delete')

    def _try_panel(self) -> None:
        with ui.expansion(self.t('try.title'), icon='science').classes('w-full').mark('rx-try'):
            self.try_as = ui.select({key: self.t(f'try.as.{key}') for key in TRY_AS}, value='reply',
                                    label=self.t('try.as')).classes('w-64').mark('rx-try-as')
            self.try_text = ui.textarea(self.t('try.text')).props('autogrow').classes('w-full').mark('rx-try-text')
            ui.button(self.t('try.run'), icon='play_arrow', on_click=self.try_scripts).mark('rx-try-run')
            self.try_result = ui.markdown().classes('w-full').mark('rx-try-result')

    async def try_scripts(self) -> None:
        where, placement = TRY_AS[self.try_as.value]
        scripts = [row.data() for row in await user_scripts(self.ctx, self.user_id)]
        chosen = [script for script in scripts if applies(script, where, placement)]
        names = Names(self.t('try.char'), self.t('try.user'))
        result, failures = run_all(chosen, self.try_text.value or '', names, self.ctx.settings().timeout_ms / 1000)
        lines = [f'```\n{result}\n```', self.t('try.ran', count=len(chosen))]
        lines += [self.t('try.failed', failure=failure) for failure in failures]
        self.try_result.content = '\n\n'.join(lines)

    async def imported(self, event: events.UploadEventArguments) -> None:
        self.import_error.text = ''
        try:
            scripts = read_scripts_file(await event.file.read(), event.file.name)
            await add_scripts(self.ctx, self.user_id, scripts, self.ctx.settings().max_scripts)
        except ImportProblem as problem:
            self.import_error.text = self.t(f'import.{problem.code}', **problem.params)
            return
        except ScriptLimitReached as limit:
            self.import_error.text = self.t('page.too_many', limit=limit.args[0])
            return
        scoped = scripts[0].character_name
        key = 'import.done_scoped' if scoped else 'import.done'
        ui.notify(self.t(key, count=len(scripts), character=scoped), type='positive')
        await self.refresh()

    async def export(self) -> None:
        scripts = [row.data() for row in await user_scripts(self.ctx, self.user_id)]
        ui.download.content(write_scripts_file(scripts), 'regex-scripts.json', 'application/json')

    async def switch(self, script_id: int | None, on: bool) -> None:
        await set_disabled(self.ctx, self.user_id, script_id or 0, not on)

    async def delete(self, script_id: int | None) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(self.t('script.delete_question'))
            with ui.row().classes('justify-end w-full'):
                ui.button(self.t('script.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                ui.button(self.t('script.delete'), on_click=lambda: dialog.submit(True)).props('color=negative') \
                    .mark('rx-confirm-delete')
        if await dialog:
            await delete_script(self.ctx, self.user_id, script_id or 0)
            await self.refresh()


class ScriptEditor:
    """The dialog that edits one script (or makes a new one, when `row` is None)."""

    def __init__(self, page: ScriptsPage, row: RegexScript | None) -> None:
        self.page = page
        self.row_id = row.id if row is not None else None
        data = row.data() if row is not None else None
        self.values: dict[str, Any] = data.model_dump() if data else {
            'name': '', 'find_regex': '', 'replace_string': '', 'placement': [AI_OUTPUT], 'markdown_only': False,
            'prompt_only': False, 'substitute_regex': 0, 'min_depth': None, 'max_depth': None, 'character_name': '',
            'disabled': False, 'run_on_edit': True, 'source_id': ''}
        self.values['trim_text'] = '\n'.join(self.values.pop('trim_strings', []))

    def open(self) -> None:
        t, values = self.page.t, self.values
        with ui.dialog() as self.dialog, ui.card().classes('w-full max-w-3xl').mark('rx-editor'):
            ui.input(t('script.name')).bind_value(values, 'name').classes('w-full').mark('rx-name')
            find = ui.input(t('script.find')).bind_value(values, 'find_regex').classes('w-full font-mono') \
                .mark('rx-find')
            find.props['hint'] = t('script.find_hint')
            ui.textarea(t('script.replace')).bind_value(values, 'replace_string').props('autogrow') \
                .classes('w-full font-mono').mark('rx-replace')
            ui.textarea(t('script.trim')).bind_value(values, 'trim_text').props('autogrow').classes('w-full') \
                .mark('rx-trim')
            ui.select({placement: t(f'placement.{placement}') for placement in PLACEMENTS}, multiple=True,
                      label=t('script.placement')).bind_value(values, 'placement').classes('w-full') \
                .mark('rx-placement')
            with ui.row().classes('gap-4'):
                ui.checkbox(t('script.markdown_only')).bind_value(values, 'markdown_only').mark('rx-markdown-only')
                ui.checkbox(t('script.prompt_only')).bind_value(values, 'prompt_only').mark('rx-prompt-only')
            with ui.row().classes('w-full gap-4'):
                ui.select({0: t('substitute.0'), 1: t('substitute.1'), 2: t('substitute.2')},
                          label=t('script.substitute')).bind_value(values, 'substitute_regex').classes('w-56')
                ui.number(t('script.min_depth'), precision=0).bind_value(values, 'min_depth').classes('w-32') \
                    .mark('rx-min-depth')
                ui.number(t('script.max_depth'), precision=0).bind_value(values, 'max_depth').classes('w-32') \
                    .mark('rx-max-depth')
                character = ui.input(t('script.character')).bind_value(values, 'character_name').classes('grow')
                character.props['hint'] = t('script.character_hint')
            self.error = ui.label().classes('text-negative text-sm').mark('rx-editor-error')
            with ui.row().classes('justify-end w-full'):
                ui.button(t('script.cancel'), on_click=self.dialog.close).props('flat')
                ui.button(t('script.save'), icon='save', on_click=self.save).mark('rx-save')
        self.dialog.open()

    def data(self) -> ScriptData:
        fields = {key: value for key, value in self.values.items() if key != 'trim_text'}
        fields['trim_strings'] = [line for line in self.values['trim_text'].splitlines() if line]
        for depth in ('min_depth', 'max_depth'):
            fields[depth] = None if fields[depth] in (None, '') else int(fields[depth])
        return ScriptData.model_validate(fields)

    async def save(self) -> None:
        page = self.page
        try:
            data = self.data()
            compile_find(data, Names())
        except ValidationError as error:
            first = error.errors()[0]
            self.error.text = page.t('script.invalid', problem=f'{".".join(map(str, first["loc"]))}: {first["msg"]}')
            return
        except ScriptProblem as problem:
            self.error.text = page.t(f'script.{problem.code}', **problem.params)
            return
        if self.row_id is None:
            try:
                await add_scripts(page.ctx, page.user_id, [data], page.ctx.settings().max_scripts)
            except ScriptLimitReached as limit:
                self.error.text = page.t('page.too_many', limit=limit.args[0])
                return
        else:
            await save_script(page.ctx, page.user_id, self.row_id, data)
        self.dialog.close()
        ui.notify(page.t('script.saved'), type='positive')
        await page.refresh()


def mode_of(script: ScriptData) -> str:
    """'stored', 'display', 'prompt' or 'display_prompt': where the script changes text."""
    if script.markdown_only and script.prompt_only:
        return 'display_prompt'
    if script.markdown_only:
        return 'display'
    return 'prompt' if script.prompt_only else 'stored'


async def settings_panel(ctx: PluginContext, target: SlotTarget) -> None:
    """On the plugins page: the user's scripts with a switch each, and a link to the page that edits them."""
    rows = await user_scripts(ctx, target.user.id)

    async def switch(script_id: int, on: bool) -> None:
        await set_disabled(ctx, target.user.id, script_id, not on)
        ui.notify(ctx.t('settings.saved', target.locale))

    with ui.column().classes('w-full gap-1').mark('rx-settings'):
        ui.label(ctx.t('settings.title', target.locale, count=len(rows))).classes('font-bold')
        for row in rows:
            ui.switch(row.name, value=not row.disabled,
                      on_change=lambda event, row_id=row.id: switch(row_id or 0, event.value)) \
                .mark(f'rx-settings-{row.id}')
        ui.button(ctx.t('settings.manage', target.locale), icon='edit_note',
                  on_click=lambda: ui.navigate.to(PAGE_PATH)).props('flat').mark('rx-settings-manage')
