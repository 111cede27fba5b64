"""The plugin's page, `/p/quick_replies/`: the signed-in user's sets — create, edit, delete, import a SillyTavern
Quick Reply file, export a set as one."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui
from pydantic import ValidationError

from plugins.sdk import PluginContext, PluginPage

from .models import QuickReplySet, SetData
from .sillytavern import ImportProblem, read_set_file, write_set_file
from .store import SetLimitReached, add_set, delete_set, save_set, user_sets

MAX_UPLOAD_BYTES = 1024 * 1024


class QuickRepliesPage:
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
            ui.button(self.t('page.new_set'), icon='add', on_click=self.new_set).mark('qr-new-set')
            ui.upload(label=self.t('page.import'), auto_upload=True, max_file_size=MAX_UPLOAD_BYTES,
                      on_upload=self.imported).props('accept=.json flat bordered').classes('w-72').mark('qr-import')
        self.import_error = ui.label().classes('text-negative text-sm').mark('qr-import-error')
        self.list = ui.column().classes('w-full gap-4').mark('qr-sets')
        await self.refresh()

    async def refresh(self) -> None:
        sets = await user_sets(self.ctx, self.user_id)
        self.list.clear()
        with self.list:
            if not sets:
                ui.label(self.t('page.empty')).classes('opacity-70').mark('qr-empty')
            for row in sets:
                SetEditor(self, row)

    async def new_set(self) -> None:
        await self._add(SetData(name=self.t('page.new_set_name')))

    async def imported(self, event: events.UploadEventArguments) -> None:
        self.import_error.text = ''
        try:
            data = read_set_file(await event.file.read(), event.file.name)
        except ImportProblem as problem:
            self.import_error.text = self.t(f'import.{problem.code}', **problem.params)
            return
        if await self._add(data):
            ui.notify(self.t('import.done', name=data.name, count=len(data.replies)), type='positive')

    async def _add(self, data: SetData) -> bool:
        try:
            await add_set(self.ctx, self.user_id, data)
        except SetLimitReached as limit:
            ui.notify(self.t('page.too_many_sets', limit=limit.args[0]), type='warning')
            return False
        await self.refresh()
        return True


class SetEditor:
    """One set's card: its name and switches, its replies (label and message each), and its buttons."""

    def __init__(self, page: QuickRepliesPage, row: QuickReplySet) -> None:
        self.page = page
        self.set_id = row.id or 0
        self.fields: dict[str, Any] = {'name': row.name, 'enabled': row.enabled, 'insert_only': row.insert_only}
        self.replies: list[dict[str, str]] = [dict(reply) for reply in row.replies]
        t, mark = page.t, f'qr-set-{self.set_id}'
        with ui.card().classes('w-full').mark(mark):
            with ui.row().classes('w-full items-center gap-4'):
                ui.input(t('set.name')).bind_value(self.fields, 'name').classes('grow').mark(f'{mark}-name')
                ui.switch(t('set.enabled')).bind_value(self.fields, 'enabled').mark(f'{mark}-enabled') \
                    .tooltip(t('set.enabled_hint'))
                ui.switch(t('set.insert_only')).bind_value(self.fields, 'insert_only') \
                    .mark(f'{mark}-insert-only').tooltip(t('set.insert_only_hint'))
            self.reply_rows = ui.column().classes('w-full gap-2')
            self._draw_replies()
            with ui.row().classes('gap-2'):
                ui.button(t('set.add_reply'), icon='add', on_click=self.add_reply).props('flat') \
                    .mark(f'{mark}-add')
                ui.button(t('set.save'), icon='save', on_click=self.save).mark(f'{mark}-save')
                ui.button(t('set.export'), icon='download', on_click=self.export).props('flat') \
                    .mark(f'{mark}-export')
                ui.button(t('set.delete'), icon='delete', on_click=self.delete).props('flat color=negative') \
                    .mark(f'{mark}-delete')

    def _draw_replies(self) -> None:
        t, mark = self.page.t, f'qr-set-{self.set_id}'
        self.reply_rows.clear()
        with self.reply_rows:
            if not self.replies:
                ui.label(t('set.no_replies')).classes('text-sm opacity-70')
            for index, reply in enumerate(self.replies):
                with ui.row().classes('w-full items-start gap-2 no-wrap'):
                    ui.input(t('reply.label')).bind_value(reply, 'label').classes('w-48') \
                        .mark(f'{mark}-label-{index}')
                    ui.textarea(t('reply.message')).bind_value(reply, 'message').props('autogrow') \
                        .classes('grow').mark(f'{mark}-message-{index}')
                    ui.button(icon='close', on_click=lambda index=index: self.remove_reply(index)) \
                        .props(f'flat round dense aria-label="{t("reply.remove")}"').mark(f'{mark}-remove-{index}')

    def add_reply(self) -> None:
        self.replies.append({'label': '', 'message': '', 'title': ''})
        self._draw_replies()

    def remove_reply(self, index: int) -> None:
        del self.replies[index]
        self._draw_replies()

    def data(self) -> SetData:
        return SetData(**self.fields, replies=self.replies)

    async def save(self) -> None:
        try:
            data = self.data()
        except ValidationError as error:
            ui.notify(self.page.t('set.invalid', problem=_problem(error)), type='warning')
            return
        await save_set(self.page.ctx, self.page.user_id, self.set_id, data)
        ui.notify(self.page.t('set.saved'), type='positive')

    def export(self) -> None:
        try:
            data = self.data()
        except ValidationError as error:
            ui.notify(self.page.t('set.invalid', problem=_problem(error)), type='warning')
            return
        ui.download.content(write_set_file(data), f'{data.name}.json', 'application/json')

    async def delete(self) -> None:
        t = self.page.t
        with ui.dialog() as dialog, ui.card():
            ui.label(t('set.delete_question', name=self.fields['name']))
            with ui.row().classes('justify-end w-full'):
                ui.button(t('set.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                ui.button(t('set.delete'), on_click=lambda: dialog.submit(True)).props('color=negative') \
                    .mark('qr-confirm-delete')
        if await dialog:
            await delete_set(self.page.ctx, self.page.user_id, self.set_id)
            await self.page.refresh()


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = '.'.join(str(part) for part in first['loc'])
    return f'{where}: {first["msg"]}'
