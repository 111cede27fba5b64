"""Model connections: add, edit, delete and test the backends that write the characters' replies."""

from __future__ import annotations

from nicegui import ui
from pydantic import ValidationError

from app.errors import TavernError
from app.services.connections import ConnectionFields, ConnectionRead, ConnectionUpdate
from app.services.providers.instruct_templates import TEMPLATE_NAMES
from app.services.providers.kinds import PROVIDER_KINDS
from components.confirm_dialog import confirm
from components.dialog_buttons import cancel_save_buttons
from components.page_context import PageContext

from .registry import page


@page('/connections', title_key='connections.title')
async def connections_page(ctx: PageContext) -> None:
    await ConnectionsView(ctx).build()


class ConnectionsView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center'):
            ui.label(t('connections.title')).classes('text-2xl font-bold')
            ui.space()
            ui.button(t('connections.add'), icon='add', on_click=lambda: self.edit(None)).mark('add-connection')
        ui.label(t('connections.hint')).classes('text-sm opacity-70')
        self.rows = ui.column().classes('w-full gap-2').mark('connection-list')
        await self.refresh()

    async def refresh(self) -> None:
        items = await self.ctx.services.connections.list(self.ctx.user)
        self.rows.clear()
        with self.rows:
            if not items:
                ui.label(self.ctx.t('connections.none')).classes('opacity-70').mark('no-connections')
            for item in items:
                self._row(item)

    def _row(self, item: ConnectionRead) -> None:
        t = self.ctx.t
        with ui.card().classes('w-full').mark(f'connection-{item.name}'), \
                ui.row().classes('w-full items-center gap-x-4 gap-y-1 flex-wrap'):
            with ui.column().classes('gap-0 grow min-w-0'):
                ui.label(item.name).classes('font-bold')
                kind = PROVIDER_KINDS[item.provider]
                ui.label(f'{kind.label} · {item.base_url or kind.default_base_url} · {item.model or "—"}') \
                    .classes('text-xs opacity-70 break-all')
            if item.is_default:
                ui.badge(t('connections.default'))
            result = ui.label().classes('text-sm').mark('test-result')
            ui.button(t('connections.test'), on_click=lambda: self.test(item.id, result)).props('flat dense') \
                .mark('test-connection')
            ui.button(t('connections.edit'), on_click=lambda: self.edit(item)).props('flat dense') \
                .mark('edit-connection')
            ui.button(t('connections.delete'), on_click=lambda: self.delete(item)) \
                .props('flat dense color=negative').mark('delete-connection')

    async def test(self, connection_id: str, result: ui.label) -> None:
        """Ask the backend for its models and show the latency, or the reason it failed."""
        check = await self.ctx.services.connections.check(self.ctx.user, connection_id)
        if check.error:
            result.text = self.ctx.error_text(check.error)
            result.classes(replace='text-sm text-negative')
        else:
            result.text = self.ctx.t('connections.test_ok', ms=check.latency_ms,
                                     models=', '.join(check.models[:5]) or '—')
            result.classes(replace='text-sm text-positive')

    def edit(self, item: ConnectionRead | None) -> None:
        t = self.ctx.t
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(t('connections.edit' if item else 'connections.add')).classes('text-lg font-bold')
            name = ui.input(t('connections.name'), value=item.name if item else '').classes('w-full') \
                .mark('connection-name')
            kind = ui.select({k.id: k.label for k in PROVIDER_KINDS.values()}, label=t('connections.kind'),
                             value=item.provider if item else 'openai').classes('w-full').mark('connection-kind')
            base_url = ui.input(t('connections.base_url'), value=item.base_url if item else '').classes('w-full') \
                .mark('connection-url')
            model = ui.input(t('connections.model'), value=item.model if item else '').classes('w-full') \
                .mark('connection-model')
            key = ui.input(t('connections.api_key'), password=True,
                           placeholder=item.api_key_hint or '' if item else '').classes('w-full') \
                .mark('connection-key')
            settings = dict(item.settings) if item else {}
            template = ui.select(list(TEMPLATE_NAMES), label=t('connections.instruct_template'),
                                 value=settings.get('instruct_template', TEMPLATE_NAMES[0])).classes('w-full') \
                .mark('connection-template')
            context = ui.number(t('connections.context_size'), value=settings.get('context_size'), min=256,
                                step=256, placeholder='4096').classes('w-full').mark('connection-context')
            default = ui.checkbox(t('connections.make_default'), value=item.is_default if item else True) \
                .mark('connection-default')
            error = ui.label().classes('text-negative').mark('connection-error')

            def show_kind() -> None:
                chosen = PROVIDER_KINDS[kind.value]
                base_url.props(f'placeholder="{chosen.default_base_url}"')
                template.set_visibility(chosen.text_prompt)
            show_kind()
            kind.on_value_change(show_kind)

            async def save() -> None:
                values = {**settings, 'context_size': int(context.value) if context.value else None}
                values['instruct_template'] = template.value if PROVIDER_KINDS[kind.value].text_prompt else None
                stored = {k: v for k, v in values.items() if v is not None}
                try:
                    if item is None:
                        await self.ctx.services.connections.create(self.ctx.user, ConnectionFields(
                            name=name.value, provider=kind.value, base_url=base_url.value or None, model=model.value,
                            api_key=key.value or None, settings=stored, is_default=default.value))
                    else:
                        await self.ctx.services.connections.update(self.ctx.user, item.id, ConnectionUpdate(
                            name=name.value, provider=kind.value, base_url=base_url.value or None,
                            model=model.value, api_key=key.value or None, settings=stored,
                            is_default=default.value))
                except ValidationError as invalid:
                    error.text = t('connections.invalid', fields=', '.join(str(e['loc'][0]) for e in invalid.errors()))
                    return
                except TavernError as failure:
                    error.text = self.ctx.error_text(failure)
                    return
                dialog.close()
                await self.refresh()

            cancel_save_buttons(self.ctx, dialog, save, save_marker='save-connection')
        dialog.open()

    async def delete(self, item: ConnectionRead) -> None:
        t = self.ctx.t
        if await confirm(t('connections.delete_question', name=item.name), ok_label=t('connections.delete'),
                         cancel_label=t('common.cancel'), danger=True):
            await self.ctx.services.connections.delete(self.ctx.user, item.id)
            await self.refresh()
