"""The user's own settings: profile, language, theme, password and personal API tokens."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from app.db.models import ApiToken
from app.errors import TavernError
from components.confirm_dialog import confirm
from components.page_context import PageContext
from components.password_fields import PasswordFields

from .registry import page

LANGUAGES = {'en': 'English', 'zh-CN': '简体中文'}


@page('/settings', title_key='settings.title')
async def settings_page(ctx: PageContext) -> None:
    ui.label(ctx.t('settings.title')).classes('text-2xl font-bold')
    _profile(ctx)
    _appearance(ctx)
    _password(ctx)
    await TokenList(ctx).build()
    _migration(ctx)


def _migration(ctx: PageContext) -> None:
    with _section(ctx, 'migration.title'):
        ui.label(ctx.t('migration.settings_hint')).classes('text-sm opacity-80')
        ui.button(ctx.t('migration.open'), icon='drive_folder_upload', on_click=lambda: ui.navigate.to('/migration')) \
            .props('outline').mark('open-migration')


def _profile(ctx: PageContext) -> None:
    assert ctx.user is not None
    with _section(ctx, 'settings.profile'):
        ui.label(ctx.t('settings.handle', handle=ctx.user.handle)).classes('opacity-70')
        name = ui.input(ctx.t('auth.display_name'), value=ctx.user.display_name).classes('w-full') \
            .props('maxlength=64').mark('display-name')

        async def save() -> None:
            ctx.user = await ctx.services.accounts.update_preferences(ctx.user.id, display_name=name.value)
            name.value = ctx.user.display_name
            ui.notify(ctx.t('settings.saved'), type='positive')

        ui.button(ctx.t('common.save'), on_click=save).mark('save-profile')


def _appearance(ctx: PageContext) -> None:
    with _section(ctx, 'settings.appearance'):
        ui.select(LANGUAGES, value=ctx.locale, label=ctx.t('nav.language'),
                  on_change=lambda e: ui.navigate.to(f'/prefs/locale?lang={e.value}&next={quote("/settings")}')) \
            .classes('w-full sm:w-64').mark('language')
        themes = {key: ctx.t(f'settings.theme.{key}') for key in ('auto', 'light', 'dark')}

        async def set_theme(theme: str) -> None:
            ctx.user = await ctx.services.accounts.update_preferences(ctx.user.id, theme=theme)
            ui.dark_mode({'auto': None, 'light': False, 'dark': True}[theme])
            ui.notify(ctx.t('settings.saved'), type='positive')

        ui.toggle(themes, value=ctx.theme, on_change=lambda e: set_theme(e.value)).mark('theme')


def _password(ctx: PageContext) -> None:
    with _section(ctx, 'settings.password'):
        old = ui.input(ctx.t('settings.password.old'), password=True).props('autocomplete=current-password') \
            .classes('w-full').mark('old-password')
        fields = PasswordFields(ctx, label_key='settings.password.new')
        error = ui.label().classes('text-negative').mark('password-error')

        async def change() -> None:
            error.text = fields.mismatch_text()
            if error.text:
                return
            try:
                await ctx.services.accounts.change_password(ctx.user.id, old.value, fields.password.value)
            except TavernError as failure:
                error.text = ctx.error_text(failure)
                return
            old.value = ''
            fields.clear()
            ui.notify(ctx.t('settings.password.changed'), type='positive')
            ui.navigate.to('/login')

        ui.label(ctx.t('settings.password.hint')).classes('text-xs opacity-70')
        ui.button(ctx.t('settings.password.change'), on_click=change).mark('change-password')


class TokenList:
    """Personal API tokens: the plain token is shown once, right after it is created."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    async def build(self) -> None:
        t = self.ctx.t
        with _section(self.ctx, 'settings.tokens'):
            ui.label(t('settings.tokens.hint')).classes('text-sm opacity-70')
            with ui.row().classes('w-full items-center gap-2'):
                self.name = ui.input(t('settings.tokens.name')).props('maxlength=64').classes('grow') \
                    .mark('token-name')
                ui.button(t('settings.tokens.create'), icon='key', on_click=self.create).mark('create-token')
            self.rows = ui.column().classes('w-full gap-1').mark('token-list')
        await self.refresh()

    async def refresh(self) -> None:
        tokens = await self.ctx.services.sessions.list_api_tokens(self.ctx.user)
        self.rows.clear()
        with self.rows:
            if not tokens:
                ui.label(self.ctx.t('settings.tokens.none')).classes('opacity-70')
            for token in tokens:
                self._row(token)

    def _row(self, token: ApiToken) -> None:
        t = self.ctx.t
        used = token.last_used_at.strftime('%Y-%m-%d %H:%M') if token.last_used_at else t('settings.tokens.never')
        with ui.row().classes('w-full items-center gap-2 flex-wrap').mark(f'token-{token.name}'):
            ui.label(token.name).classes('font-bold')
            ui.label(f'{token.prefix}…').classes('font-mono text-sm')
            ui.label(t('settings.tokens.used', created=token.created_at.strftime('%Y-%m-%d'), used=used)) \
                .classes('text-xs opacity-70')
            ui.space()
            ui.button(t('settings.tokens.revoke'), on_click=lambda: self.revoke(token)) \
                .props('flat dense color=negative').mark('revoke-token')

    async def create(self) -> None:
        if not (self.name.value or '').strip():
            ui.notify(self.ctx.t('settings.tokens.name_required'), type='warning')
            return
        _record, token = await self.ctx.services.sessions.create_api_token(self.ctx.user, self.name.value)
        self.name.value = ''
        await self.refresh()
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(self.ctx.t('settings.tokens.created')).classes('font-bold')
            ui.input(value=token).props('readonly outlined').classes('w-full font-mono').mark('new-token')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(self.ctx.t('settings.tokens.copy'), icon='content_copy',
                          on_click=lambda: ui.clipboard.write(token)).props('flat')
                ui.button(self.ctx.t('settings.tokens.done'), on_click=dialog.close).mark('token-done')
        dialog.open()

    async def revoke(self, token: ApiToken) -> None:
        t = self.ctx.t
        question = t('settings.tokens.revoke_question', name=token.name)
        if not await confirm(question, ok_label=t('settings.tokens.revoke'), cancel_label=t('common.cancel'),
                             danger=True):
            return
        await self.ctx.services.sessions.revoke_api_token(self.ctx.user, token.id)
        await self.refresh()


def _section(ctx: PageContext, title_key: str) -> ui.card:
    card = ui.card().classes('w-full gap-3')
    with card:
        ui.label(ctx.t(title_key)).classes('text-lg font-bold')
    return card
