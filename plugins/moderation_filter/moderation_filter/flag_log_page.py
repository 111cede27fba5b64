"""The flag log page (`/p/moderation_filter/`): what the filter blocked or flagged, newest first, for
administrators; they can narrow it to one action and clear it. Other users are told the page is not for them."""

from __future__ import annotations

from nicegui import ui

from plugins.sdk import PluginContext, PluginPage

from . import flag_log

ACTIONS = ('blocked', 'flagged')


class FlagLogPage:
    def __init__(self, ctx: PluginContext, page: PluginPage) -> None:
        self.ctx = ctx
        self.page = page
        self.action = ''

    def t(self, key: str, **params: object) -> str:
        return self.ctx.t(key, self.page.locale, **params)

    async def build(self) -> None:
        ui.label(self.t('page.title')).classes('text-2xl font-bold')
        if not self.page.user.is_admin:
            ui.label(self.t('page.admins_only')).mark('moderation-admins-only')
            return
        settings = self.ctx.settings()
        ui.label(self.t('page.rules', block=len(settings.block), mask=len(settings.mask),
                        flag=len(settings.flag))).classes('text-sm opacity-70').mark('moderation-rule-counts')
        with ui.row().classes('w-full items-center gap-2'):
            choices = {'': self.t('page.all'), **{action: self.t(f'action.{action}') for action in ACTIONS}}
            ui.select(choices, value='', label=self.t('page.show'), on_change=self._filter) \
                .props('outlined dense').classes('w-48').mark('moderation-filter-action')
            ui.space()
            ui.button(self.t('page.clear'), icon='delete_sweep', on_click=self._confirm_clear) \
                .props('outline color=negative').mark('moderation-clear')
        self.table = ui.column().classes('w-full')
        await self._show()

    async def _filter(self, event: object) -> None:
        self.action = getattr(event, 'value', '') or ''
        await self._show()

    async def _show(self) -> None:
        entries = await flag_log.recent(self.ctx, self.action or None)
        self.table.clear()
        with self.table:
            if not entries:
                ui.label(self.t('page.empty')).classes('opacity-70').mark('moderation-log-empty')
                return
            columns = [{'name': name, 'label': self.t(f'column.{name}'), 'field': name, 'align': 'left'}
                       for name in ('time', 'user', 'character', 'source', 'action', 'rule', 'excerpt')]
            rows = [{'id': entry.id, 'time': f'{entry.created_at:%Y-%m-%d %H:%M} UTC', 'user': entry.user_handle,
                     'character': entry.character_name, 'chat': f'/chat/{entry.chat_id}',
                     'source': self.t(f'source.{entry.source}'), 'action': self.t(f'action.{entry.action}'),
                     'rule': entry.rule, 'excerpt': entry.excerpt} for entry in entries]
            table = ui.table(columns=columns, rows=rows, row_key='id').classes('w-full') \
                .mark('moderation-log', f'moderation-log-{self.action or "all"}')
            table.add_slot('body-cell-character', '''
                <q-td :props="props"><a :href="props.row.chat" class="text-primary">{{ props.value }}</a></q-td>
            ''')

    async def _confirm_clear(self) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(self.t('page.clear_question'))
            with ui.row().classes('w-full justify-end'):
                ui.button(self.t('page.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                ui.button(self.t('page.clear'), on_click=lambda: dialog.submit(True)) \
                    .props('color=negative').mark('moderation-clear-confirm')
        if await dialog:
            await flag_log.clear(self.ctx)
            ui.notify(self.t('page.cleared'), type='positive')
            await self._show()
