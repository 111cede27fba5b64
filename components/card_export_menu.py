"""The character editor's Export menu: the card as PNG, JSON (V2 or V3) or CharX, downloaded through the REST
export route so the browser saves it under the character's name."""

from __future__ import annotations

from nicegui import ui

from .page_context import PageContext

EXPORTS = (('png', 'v2', 'card_export.png'), ('json', 'v2', 'card_export.json_v2'),
           ('json', 'v3', 'card_export.json_v3'), ('charx', 'v3', 'card_export.charx'))


def export_url(character_id: str, fmt: str, spec: str) -> str:
    return f'/api/v1/characters/{character_id}/export?format={fmt}&spec={spec}'


def card_export_menu(ctx: PageContext, character_id: str) -> None:
    """An Export button whose menu downloads the stored card in each format."""
    with ui.button(ctx.t('card_export.button'), icon='download').props('outline').mark('editor-export'), ui.menu():
        for fmt, spec, label in EXPORTS:
            ui.menu_item(ctx.t(label), on_click=lambda fmt=fmt, spec=spec: ui.download.from_url(
                export_url(character_id, fmt, spec))).mark(f'export-{fmt}-{spec}')
