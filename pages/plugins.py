"""`/plugins`: the installed plugins.

Everyone sees the plugins that are on, with what each asks for (permissions), a personal on/off switch for
user-toggleable ones and their own settings. Administrators also see disabled, failed, revoked and uninstalled
ones with the reason and each plugin's recent errors, switch plugins for the whole instance, edit instance
settings, upload a wheel and uninstall.
"""

from __future__ import annotations

from nicegui import events, ui

from app.errors import TavernError
from app.plugins.marketplace import marketplace_for
from app.plugins.settings_store import Scope, redacted
from app.plugins.views import PluginView, plugin_views
from app.plugins.wheel import MAX_WHEEL_BYTES, read_wheel_manifest
from components.confirm_dialog import confirm
from components.page_context import PageContext
from components.plugin_consent import consent_dialog
from components.plugin_settings_form import PluginSettingsForm
from components.plugin_slot import COLUMN, plugin_slot, slot_target

from .registry import page

STATUS_COLORS = {'enabled': 'positive', 'disabled': 'grey', 'failed': 'negative', 'revoked': 'negative',
                 'restart_required': 'warning'}


@page('/plugins', title_key='plugins.title')
async def plugins_page(ctx: PageContext) -> None:
    await PluginsPage(ctx).build()


class PluginsPage:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.manager = ctx.services.plugins

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center'):
            ui.label(t('plugins.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('plugins.open_marketplace'), icon='storefront',
                      on_click=lambda: ui.navigate.to('/marketplace')).props('flat').mark('open-marketplace')
        ui.label(t('plugins.intro')).classes('text-sm opacity-80')
        if self.ctx.user and self.ctx.user.is_admin:
            self._upload()
        self.list = ui.column().classes('w-full gap-3').mark('plugin-list')
        await self.refresh()

    def _upload(self) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full'):
            ui.label(t('plugins.upload.title')).classes('font-bold')
            ui.label(t('plugins.upload.hint')).classes('text-sm opacity-80')
            self.upload = ui.upload(label=t('plugins.upload.button'), auto_upload=True, max_file_size=MAX_WHEEL_BYTES,
                                    on_upload=self._received, on_rejected=self._rejected) \
                .props('accept=".whl" flat bordered').classes('w-full sm:w-96').mark('plugin-upload')
            self.upload_error = ui.label().classes('text-negative text-sm').mark('plugin-upload-error')

    async def _received(self, event: events.UploadEventArguments) -> None:
        self.upload.reset()
        self.upload_error.text = ''
        try:
            data = await event.file.read()
            manifest = read_wheel_manifest(data)
            permissions = [str(permission) for permission in manifest.permissions]
            if not await consent_dialog(self.ctx, manifest.name, manifest.version, permissions):
                return
            plugin = await marketplace_for(self.ctx.services).install_wheel_data(
                data, source='upload', consent=permissions, actor=self.ctx.user)
        except TavernError as failure:
            self.upload_error.text = self.ctx.error_text(failure)
            return
        ui.notify(self.ctx.t('plugins.installed', name=plugin.manifest.name, version=plugin.version),
                  type='positive')
        await self.refresh()

    def _rejected(self) -> None:
        self.upload_error.text = self.ctx.t('error.plugins.wheel_too_large', limit=MAX_WHEEL_BYTES // (1024 * 1024))

    async def refresh(self) -> None:
        assert self.ctx.user is not None
        views = await plugin_views(self.manager, self.ctx.user)
        self.list.clear()
        with self.list:
            if not views:
                ui.label(self.ctx.t('plugins.none')).classes('opacity-70').mark('plugins-empty')
            for view in views:
                await self._card(view)

    async def _card(self, view: PluginView) -> None:
        t = self.ctx.t
        admin = bool(self.ctx.user and self.ctx.user.is_admin)
        with ui.card().classes('w-full').mark(f'plugin-{view.id}'):
            with ui.row().classes('w-full items-center gap-2 flex-wrap'):
                ui.label(view.name).classes('text-lg font-bold')
                ui.label(view.version).classes('text-sm opacity-70')
                if admin:
                    ui.badge(t(f'marketplace.status.{view.status}'), color=STATUS_COLORS.get(view.status, 'grey')) \
                        .mark(f'plugin-status-{view.id}')
                ui.space()
                self._switches(view, admin)
            if view.description:
                ui.label(view.description).classes('text-sm')
            details = [text for text in (view.author and t('plugins.by', author=view.author), view.license) if text]
            if details:
                ui.label(' · '.join(details)).classes('text-xs opacity-70')
            self._notices(view)
            self._permissions(view)
            if admin and view.last_errors:
                self._errors(view)
            if admin and view.has_settings:
                await self._settings(view, 'admin')
            if view.has_user_settings and view.enabled_for_me:
                await self._settings(view, 'user')
            if view.enabled_for_me:
                slot = f'settings.plugins.{view.id}'
                await plugin_slot(self.ctx, slot, slot_target(self.ctx, slot), classes=COLUMN)
            if admin and view.source == 'site' and not view.restart_required:
                ui.button(t('plugins.uninstall'), icon='delete', on_click=lambda v=view: self._uninstall(v)) \
                    .props('flat color=negative').mark(f'plugin-uninstall-{view.id}')

    def _switches(self, view: PluginView, admin: bool) -> None:
        t = self.ctx.t
        usable = view.status in ('enabled', 'disabled')
        if admin and usable:
            ui.switch(t('plugins.enabled_for_all'), value=view.enabled,
                      on_change=lambda e, v=view: self._set_enabled(v, e.value)).mark(f'plugin-enabled-{view.id}')
        if view.user_toggleable and view.enabled:
            ui.switch(t('plugins.enabled_for_me'), value=view.enabled_for_me,
                      on_change=lambda e, v=view: self._set_mine(v, e.value)).mark(f'plugin-mine-{view.id}')

    def _notices(self, view: PluginView) -> None:
        t = self.ctx.t
        if view.restart_required:
            ui.label(t('plugins.restart_required')).classes('text-warning').mark(f'plugin-restart-{view.id}')
        if view.load_error:
            ui.label(t('plugins.load_error', reason=view.load_error)).classes('text-negative text-sm') \
                .mark(f'plugin-load-error-{view.id}')
        if view.revoked:
            ui.label(t('plugins.revoked', reason=view.revoked)).classes('text-negative text-sm') \
                .mark(f'plugin-revoked-{view.id}')
        if view.settings_error:
            ui.label(view.settings_error).classes('text-warning text-sm')

    def _permissions(self, view: PluginView) -> None:
        t = self.ctx.t
        with ui.row().classes('items-center gap-1 flex-wrap').mark(f'plugin-permissions-{view.id}'):
            ui.label(t('plugins.permissions')).classes('text-xs opacity-70')
            if not view.permissions:
                ui.label(t('plugins.permissions.none')).classes('text-xs')
            for permission in view.permissions:
                ui.chip(t(f'marketplace.permission.{permission}'), icon='verified_user').props('dense outline') \
                    .tooltip(permission)

    def _errors(self, view: PluginView) -> None:
        t = self.ctx.t
        with ui.expansion(t('plugins.errors', count=len(view.last_errors)), icon='error_outline') \
                .classes('w-full text-negative').mark(f'plugin-errors-{view.id}'):
            for error in view.last_errors:
                ui.label(f'{error.created_at:%Y-%m-%d %H:%M:%S} · {error.hook} · {error.message}') \
                    .classes('text-xs font-mono break-all')

    async def _settings(self, view: PluginView, scope: Scope) -> None:
        t = self.ctx.t
        user = self.ctx.user
        read = await self.manager.read_settings(view.id, scope, user)
        model = self.manager.settings_model(view.id, scope)
        assert model is not None
        values = redacted(model, read.values) if read.values is not None else {}
        title = t('plugins.settings.admin' if scope == 'admin' else 'plugins.settings.user')
        marker = f'plugin-settings-{view.id}' if scope == 'admin' else f'plugin-user-settings-{view.id}'

        async def save(data: dict) -> None:
            await self.manager.write_settings(view.id, scope, data, user)

        with ui.expansion(title, icon='settings').classes('w-full').mark(f'{marker}-open'):
            PluginSettingsForm(self.ctx, model, values, save, marker=marker, error=read.error)

    async def _set_enabled(self, view: PluginView, enabled: bool) -> None:
        try:
            await self.manager.set_enabled(view.id, enabled)
        except TavernError as failure:
            ui.notify(self.ctx.error_text(failure), type='negative')
        await self.refresh()

    async def _set_mine(self, view: PluginView, enabled: bool) -> None:
        assert self.ctx.user is not None
        try:
            await self.manager.set_user_enabled(view.id, self.ctx.user, enabled)
        except TavernError as failure:
            ui.notify(self.ctx.error_text(failure), type='negative')
        await self.refresh()

    async def _uninstall(self, view: PluginView) -> None:
        t = self.ctx.t
        if not await confirm(t('plugins.uninstall.confirm', name=view.name), ok_label=t('plugins.uninstall'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        try:
            await self.manager.uninstall(view.id)
        except TavernError as failure:
            ui.notify(self.ctx.error_text(failure), type='negative')
        else:
            ui.notify(t('plugins.uninstalled', name=view.name), type='positive')
        await self.refresh()
