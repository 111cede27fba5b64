"""Asking an administrator to consent to a plugin's permissions before it is installed, from the marketplace or
from an uploaded wheel."""

from __future__ import annotations

from nicegui import ui

from .page_context import PageContext


def permission_text(ctx: PageContext, permission: str) -> str:
    """A permission in words; an unknown permission shows as its id."""
    text = ctx.t(f'marketplace.permission.{permission}')
    return permission if text == f'marketplace.permission.{permission}' else text


async def consent_dialog(ctx: PageContext, name: str, version: str, permissions: list[str]) -> bool:
    """Ask the admin to consent to what the plugin asks for; True only when they press Install."""
    t = ctx.t
    with ui.dialog() as dialog, ui.card().classes('max-w-lg gap-3').mark('consent-dialog'):
        ui.label(t('marketplace.consent_title', name=name, version=version)).classes('text-lg font-bold')
        if permissions:
            ui.label(t('marketplace.consent_intro'))
            with ui.column().classes('gap-1').mark('consent-permissions'):
                for permission in permissions:
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        ui.icon('check', size='xs')
                        ui.label(permission_text(ctx, permission)).classes('text-sm')
        else:
            ui.label(t('marketplace.consent_none'))
        ui.label(t('marketplace.consent_trust')).classes('text-sm text-warning')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(t('common.cancel'), on_click=lambda: dialog.submit(False)).props('flat').mark('consent-cancel')
            ui.button(t('marketplace.consent_install'), on_click=lambda: dialog.submit(True)).mark('consent-install')
    answer = await dialog
    dialog.delete()
    return bool(answer)
