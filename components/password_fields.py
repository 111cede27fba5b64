"""A new-password input with a repeat field, used wherever a password is set (settings, admin reset)."""

from __future__ import annotations

from nicegui import ui

from .page_context import PageContext


class PasswordFields:
    def __init__(self, ctx: PageContext, *, label_key: str = 'auth.password') -> None:
        self.ctx = ctx
        self.password = ui.input(ctx.t(label_key), password=True, password_toggle_button=True) \
            .props('autocomplete=new-password').classes('w-full').mark('new-password')
        self.repeat = ui.input(ctx.t('auth.password.repeat'), password=True) \
            .props('autocomplete=new-password').classes('w-full').mark('new-password-repeat')

    def mismatch_text(self) -> str:
        """The error to show when the two entries differ, or '' when they match."""
        return '' if self.password.value == self.repeat.value else self.ctx.t('error.password.mismatch')

    def clear(self) -> None:
        self.password.value = ''
        self.repeat.value = ''
