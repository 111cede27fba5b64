"""The plugin marketplace: browse the plugins the indexes offer (search, filter by tag), open one to read its
permissions and versions (with compatibility, yanked and revoked marks), and — administrators — install, update or
uninstall it. Installing first shows a consent dialog listing what the plugin asks for; the plugin then works at
once, without a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from nicegui import ui

from app.errors import TavernError
from app.plugins.manager import LoadedPlugin
from app.plugins.marketplace import Marketplace, MarketplacePlugin, MarketplaceVersion, marketplace_for, matching
from components.confirm_dialog import confirm
from components.debouncer import Debouncer
from components.page_context import PageContext
from components.plugin_consent import consent_dialog, permission_text

from .registry import page

SEARCH_DELAY = 0.3
GRID_CLASSES = 'w-full grid grid-cols-1 md:grid-cols-2 lg:grid-cols-3 gap-4'


@page('/marketplace', title_key='marketplace.title')
async def marketplace_page(ctx: PageContext, q: str = '', tag: str = '') -> None:
    await MarketplaceView(ctx).build(q, tag)


@page('/marketplace/{plugin_id}', title_key='marketplace.title')
async def marketplace_plugin_page(ctx: PageContext, plugin_id: str) -> None:
    await PluginDetailView(ctx, plugin_id).build()


class MarketplaceView:
    """The search box, the tag filter and the grid of plugin cards."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.plugins: list[MarketplacePlugin] = []
        self.debouncer = Debouncer(SEARCH_DELAY, self.show)

    async def build(self, query: str, tag: str) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(t('marketplace.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('marketplace.installed_plugins'), icon='extension',
                      on_click=lambda: ui.navigate.to('/plugins')).props('outline').mark('to-plugins')
            ui.button(t('marketplace.refresh'), icon='refresh', on_click=lambda: self.load(refresh=True)) \
                .props('flat').mark('marketplace-refresh')
        ui.label(t('marketplace.intro')).classes('text-sm opacity-80')
        with ui.row().classes('w-full items-center gap-2'):
            self.search = ui.input(t('marketplace.search'), value=query, on_change=self.debouncer.trigger) \
                .props('clearable dense outlined').classes('w-full sm:w-80').mark('marketplace-search')
            self.tag = ui.select({'': t('marketplace.all_tags')}, value='', label=t('marketplace.tag'),
                                 on_change=self.show).props('dense outlined').classes('w-full sm:w-48') \
                .mark('marketplace-tag')
        self.notices = ui.column().classes('w-full gap-1').mark('marketplace-notices')
        self.grid = ui.element('div').classes(GRID_CLASSES).mark('marketplace-grid')
        await self.load(tag=tag)

    async def load(self, *, refresh: bool = False, tag: str | None = None) -> None:
        listing = await marketplace_for(self.ctx.services).listing(refresh=refresh)
        self.plugins = listing.plugins
        self.tag.set_options({'': self.ctx.t('marketplace.all_tags'), **{name: name for name in listing.tags}},
                             value=tag if tag in listing.tags else (self.tag.value or ''))
        self.notices.clear()
        with self.notices:
            for url, problem in listing.unreadable_indexes.items():
                ui.label(self.ctx.t('marketplace.index_unreadable', url=url, problem=problem)) \
                    .classes('text-sm text-negative break-all').mark('index-unreadable')
        await self.show()

    async def show(self) -> None:
        query, tag = self.search.value or '', self.tag.value or ''
        shown = matching(self.plugins, query, tag)
        filters = urlencode({name: value for name, value in (('q', query), ('tag', tag)) if value})
        self.grid.clear()
        with self.grid:  # also the context the debounced search needs: it runs in a task of its own
            ui.navigate.history.replace(f'/marketplace?{filters}' if filters else '/marketplace')
            if not shown:
                ui.label(self.ctx.t('marketplace.none' if not self.plugins else 'marketplace.no_match')) \
                    .classes('opacity-70').mark('marketplace-empty')
            for plugin in shown:
                self._card(plugin)

    def _card(self, plugin: MarketplacePlugin) -> None:
        with ui.card().classes('w-full gap-2').mark('market-plugin', f'market-plugin-{plugin.id}'):
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.icon('extension', size='sm').classes('text-primary')
                ui.link(plugin.name, f'/marketplace/{plugin.id}') \
                    .classes('text-lg font-bold grow min-w-0 truncate').mark('market-plugin-name')
                if plugin.latest:
                    ui.badge(plugin.latest).props('outline')
            ui.label(plugin.description).classes('text-sm opacity-80 line-clamp-3')
            with ui.row().classes('gap-1'):
                for name in plugin.tags:
                    ui.chip(name).props('dense outline')
            status = _installed_text(self.ctx, plugin)
            if status:
                ui.label(status).classes('text-sm text-positive').mark('market-installed')


class PluginDetailView:
    """One plugin: description, permissions, versions, and the admin's install / update / uninstall buttons."""

    def __init__(self, ctx: PageContext, plugin_id: str) -> None:
        self.ctx = ctx
        self.plugin_id = plugin_id
        self.market: Marketplace = marketplace_for(ctx.services)
        self.is_admin = bool(ctx.user and ctx.user.is_admin)

    async def build(self) -> None:
        ui.link(self.ctx.t('marketplace.back'), '/marketplace').mark('marketplace-back')
        self.body = ui.column().classes('w-full gap-4').mark('market-detail')
        await self.refresh()

    async def refresh(self) -> None:
        self.body.clear()
        with self.body:
            try:
                plugin = await self.market.detail(self.plugin_id)
            except TavernError as error:
                ui.label(self.ctx.error_text(error)).classes('text-negative').mark('market-detail-error')
                return
            self._header(plugin)
            self._actions(plugin)
            self._permissions(plugin)
            self._versions(plugin)

    def _header(self, plugin: MarketplacePlugin) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(plugin.name).classes('text-2xl font-bold').mark('market-detail-name')
            for name in plugin.tags:
                ui.chip(name).props('dense outline')
        ui.label(plugin.description).classes('whitespace-pre-line')
        facts = [(t('marketplace.author'), plugin.author), (t('marketplace.license'), plugin.license),
                 (t('marketplace.plugin_id'), plugin.id)]
        with ui.row().classes('gap-4 text-sm opacity-80'):
            for label, value in facts:
                if value:
                    ui.label(f'{label}: {value}')
            if plugin.homepage:
                ui.link(t('marketplace.homepage'), plugin.homepage, new_tab=True)
        status = _installed_text(self.ctx, plugin)
        if status:
            ui.label(status).classes('text-positive').mark('market-installed')

    def _actions(self, plugin: MarketplacePlugin) -> None:
        t = self.ctx.t
        if not self.is_admin:
            ui.label(t('marketplace.admin_only')).classes('text-sm opacity-70').mark('market-admin-only')
            return
        with ui.row().classes('gap-2'):
            if plugin.installed_version is None and plugin.latest:
                ui.button(t('marketplace.install', version=plugin.latest), icon='download',
                          on_click=lambda: self.install(plugin, plugin.latest)).mark('market-install')
            if plugin.update_available:
                ui.button(t('marketplace.update', version=plugin.latest), icon='upgrade',
                          on_click=lambda: self.update(plugin)).mark('market-update')
            if plugin.installed_version is not None:
                ui.button(t('marketplace.uninstall'), icon='delete', on_click=lambda: self.uninstall(plugin)) \
                    .props('outline color=negative').mark('market-uninstall')
        if plugin.installed_version is None and not plugin.latest:
            ui.label(t('marketplace.nothing_installable')).classes('text-sm text-negative') \
                .mark('market-not-installable')

    def _permissions(self, plugin: MarketplacePlugin) -> None:
        newest = next((version for version in plugin.versions if version.version == plugin.latest),
                      plugin.versions[0] if plugin.versions else None)
        ui.label(self.ctx.t('marketplace.permissions')).classes('text-lg font-bold')
        permissions = newest.permissions if newest else []
        with ui.column().classes('gap-1').mark('market-permissions'):
            if not permissions:
                ui.label(self.ctx.t('marketplace.no_permissions')).classes('text-sm opacity-70')
            for permission in permissions:
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.badge(permission).props('outline')
                    ui.label(permission_text(self.ctx, permission)).classes('text-sm')

    def _versions(self, plugin: MarketplacePlugin) -> None:
        t = self.ctx.t
        ui.label(t('marketplace.versions')).classes('text-lg font-bold')
        with ui.column().classes('w-full gap-1').mark('market-versions'):
            for version in plugin.versions:
                self._version_row(plugin, version)

    def _version_row(self, plugin: MarketplacePlugin, version: MarketplaceVersion) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center gap-2 border-b py-1') \
                .mark('market-version', f'market-version-{version.version}'):
            ui.label(version.version).classes('font-mono font-bold w-20')
            if version.released_at:
                ui.label(version.released_at.date().isoformat()).classes('text-sm opacity-70')
            if version.compatible:
                ui.badge(t('marketplace.compatible'), color='positive').mark('version-compatible')
            else:
                ui.badge(t('marketplace.incompatible', app=version.requires_app or '*',
                           python=version.requires_python or '*'), color='negative').mark('version-incompatible')
            if version.yanked:
                ui.badge(t('marketplace.yanked'), color='warning').mark('version-yanked')
            if version.revoked is not None:
                ui.badge(t('marketplace.revoked', reason=version.revoked), color='negative').mark('version-revoked')
            if version.depends_on:
                needs = ', '.join(f'{name} {spec}'.strip() for name, spec in version.depends_on.items())
                ui.label(t('marketplace.depends_on', plugins=needs)).classes('text-sm opacity-70')
            ui.space()
            pinnable = self.is_admin and version.revoked is None and version.compatible \
                and version.version not in (plugin.installed_version, plugin.latest)
            if pinnable:
                ui.button(t('marketplace.install_this'), on_click=lambda: self.install(plugin, version.version)) \
                    .props('flat dense').mark('version-install', f'version-install-{version.version}')

    async def install(self, plugin: MarketplacePlugin, version: str | None) -> None:
        chosen = next((entry for entry in plugin.versions if entry.version == version), None)
        permissions = chosen.permissions if chosen else []
        if not await consent_dialog(self.ctx, plugin.name, version or '', permissions):
            return
        pinned = version if version != plugin.latest else None
        await self._run(lambda: self.market.install(plugin.id, version=pinned, consent=permissions,
                                                    actor=self.ctx.user), 'marketplace.installed', plugin)

    async def update(self, plugin: MarketplacePlugin) -> None:
        latest = next((entry for entry in plugin.versions if entry.version == plugin.latest), None)
        permissions = latest.permissions if latest else []
        if not await consent_dialog(self.ctx, plugin.name, plugin.latest or '', permissions):
            return
        await self._run(lambda: self.market.update(plugin.id, consent=permissions, actor=self.ctx.user),
                        'marketplace.updated', plugin)

    async def uninstall(self, plugin: MarketplacePlugin) -> None:
        t = self.ctx.t
        if not await confirm(t('marketplace.uninstall_question', name=plugin.name), ok_label=t('marketplace.uninstall'),
                             cancel_label=t('common.cancel'), danger=True):
            return
        try:
            await self.market.uninstall(plugin.id)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative', multi_line=True)
            return
        ui.notify(t('marketplace.uninstalled', name=plugin.name), type='positive')
        await self.refresh()

    async def _run(self, action: Callable[[], Awaitable[LoadedPlugin]], done_key: str,
                   plugin: MarketplacePlugin) -> None:
        notification = ui.notification(self.ctx.t('marketplace.working', name=plugin.name), spinner=True,
                                       timeout=None)
        try:
            installed = await action()
        except TavernError as error:
            notification.dismiss()
            ui.notify(self.ctx.error_text(error), type='negative', multi_line=True)
            return
        notification.dismiss()
        if installed.load_error:
            ui.notify(self.ctx.t('marketplace.load_failed', name=plugin.name, problem=installed.load_error),
                      type='negative', multi_line=True)
        else:
            ui.notify(self.ctx.t(done_key, name=plugin.name, version=installed.version), type='positive')
        if installed.restart_required:
            ui.notify(self.ctx.t('marketplace.restart_required'), type='warning')
        await self.refresh()


def _installed_text(ctx: PageContext, plugin: MarketplacePlugin) -> str:
    if plugin.installed_version is None:
        return ''
    status = ctx.t(f'marketplace.status.{plugin.installed_status}')
    text = ctx.t('marketplace.installed_version', version=plugin.installed_version, status=status)
    return f'{text} · {ctx.t("marketplace.update_available", version=plugin.latest)}' if plugin.update_available \
        else text
