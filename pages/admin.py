"""The admin page: open or close registration, create accounts, and manage each user (enable, role, password)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.db.models import User
from app.errors import TavernError
from components.dialog_buttons import cancel_save_buttons
from components.page_context import PageContext
from components.password_fields import PasswordFields

from .registry import page

PAGE_SIZE = 50


@page('/admin', title_key='admin.title', access='admin')
async def admin_page(ctx: PageContext) -> None:
    await AdminView(ctx).build()


class AdminView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.offset = 0
        self.query = ''

    async def build(self) -> None:
        t = self.ctx.t
        ui.label(t('admin.title')).classes('text-2xl font-bold')
        with ui.card().classes('w-full'):
            ui.switch(t('admin.registration_open'), value=await self.ctx.services.instance.registration_open(),
                      on_change=lambda e: self._act(self.ctx.services.accounts.set_registration_open(
                          self.ctx.user, e.value), 'admin.registration.opened' if e.value else
                          'admin.registration.closed')).mark('registration-switch')
            ui.label(t('admin.registration_hint')).classes('text-xs opacity-70')
        with ui.row().classes('w-full items-center gap-2'):
            ui.input(placeholder=t('admin.search'), on_change=self._search).props('outlined dense clearable') \
                .classes('grow').mark('user-search')
            ui.button(t('admin.create_user'), icon='person_add', on_click=self._create_dialog).mark('create-user')
        self.summary = ui.label().classes('text-sm opacity-70')
        self.rows = ui.column().classes('w-full gap-2').mark('user-list')
        with ui.row().classes('gap-2'):
            self.previous = ui.button(t('admin.previous'), on_click=lambda: self._page(-PAGE_SIZE)).props('flat')
            self.next = ui.button(t('admin.next'), on_click=lambda: self._page(PAGE_SIZE)).props('flat')
        await self.refresh()

    async def refresh(self) -> None:
        accounts = self.ctx.services.accounts
        total = await accounts.count_users(query=self.query)
        users = await accounts.list_users(query=self.query, offset=self.offset, limit=PAGE_SIZE)
        self.summary.text = self.ctx.t('admin.count', shown=len(users), total=total)
        self.previous.set_enabled(self.offset > 0)
        self.next.set_enabled(self.offset + PAGE_SIZE < total)
        self.rows.clear()
        with self.rows:
            for account in users:
                self._row(account)

    def _row(self, account: User) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full').mark(f'user-{account.handle}'), \
                ui.row().classes('w-full items-center gap-x-4 gap-y-1 flex-wrap'):
            with ui.column().classes('gap-0 min-w-0 grow'):
                ui.label(f'{account.display_name} (@{account.handle})').classes('font-bold break-all')
                ui.label(t('admin.dates', created=_date(account.created_at), last=_date(account.last_login_at))) \
                    .classes('text-xs opacity-70')
            ui.badge(t(f'admin.role.{account.role}'), color='primary' if account.is_admin else 'grey')
            if account.disabled:
                ui.badge(t('admin.disabled'), color='negative')
            with ui.row().classes('gap-1'):
                ui.button(t('admin.enable' if account.disabled else 'admin.disable'),
                          on_click=lambda a=account: self._act(self.ctx.services.accounts.set_disabled(
                              self.ctx.user, a.id, not a.disabled), 'admin.saved')) \
                    .props('flat dense').mark(f'toggle-disabled-{account.handle}')
                ui.button(t('admin.demote' if account.is_admin else 'admin.promote'),
                          on_click=lambda a=account: self._act(self.ctx.services.accounts.set_role(
                              self.ctx.user, a.id, 'user' if a.is_admin else 'admin'), 'admin.saved')) \
                    .props('flat dense').mark(f'toggle-role-{account.handle}')
                ui.button(t('admin.reset_password'), on_click=lambda a=account: self._reset_dialog(a)) \
                    .props('flat dense').mark(f'reset-password-{account.handle}')

    async def _act(self, action: Awaitable[object], success_key: str) -> bool:
        """Run one admin action, show its outcome, and redraw the list."""
        try:
            await action
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            await self.refresh()
            return False
        ui.notify(self.ctx.t(success_key), type='positive')
        await self.refresh()
        return True

    async def _search(self, event: object) -> None:
        self.query = getattr(event, 'value', '') or ''
        self.offset = 0
        await self.refresh()

    async def _page(self, step: int) -> None:
        self.offset = max(0, self.offset + step)
        await self.refresh()

    def _reset_dialog(self, account: User) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(t('admin.reset_password_for', handle=account.handle)).classes('text-lg font-bold')
            fields = PasswordFields(self.ctx, label_key='settings.password.new')
            error = ui.label().classes('text-negative').mark('dialog-error')

            async def submit() -> None:
                await self._submit(dialog, error, fields.mismatch_text(), lambda: self.ctx.services.accounts
                                   .admin_reset_password(self.ctx.user, account.id, fields.password.value))

            cancel_save_buttons(self.ctx, dialog, submit)
        dialog.open()

    def _create_dialog(self) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(t('admin.create_user')).classes('text-lg font-bold')
            handle = ui.input(t('auth.handle'), placeholder=t('auth.handle.hint')).classes('w-full') \
                .mark('new-handle')
            fields = PasswordFields(self.ctx)
            role = ui.select({'user': t('admin.role.user'), 'admin': t('admin.role.admin')}, value='user',
                             label=t('admin.role')).classes('w-full').mark('new-role')
            error = ui.label().classes('text-negative').mark('dialog-error')

            async def submit() -> None:
                await self._submit(dialog, error, fields.mismatch_text(), lambda: self.ctx.services.accounts.register(
                    handle.value, fields.password.value, by_admin=True, role=role.value))

            cancel_save_buttons(self.ctx, dialog, submit)
        dialog.open()

    async def _submit(self, dialog: ui.dialog, error: ui.label, mismatch: str,
                      action: Callable[[], Awaitable[object]]) -> None:
        """Validate, run the action, keep the dialog open with the message on failure, close it on success."""
        if mismatch:
            error.text = mismatch
            return
        try:
            await action()
        except TavernError as failure:
            error.text = self.ctx.error_text(failure)
            return
        dialog.close()
        ui.notify(self.ctx.t('admin.saved'), type='positive')
        await self.refresh()


def _date(value: object) -> str:
    return value.strftime('%Y-%m-%d %H:%M') if value else '—'  # type: ignore[attr-defined]
