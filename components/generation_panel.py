"""The generation panel of a chat: which connection and model answer it, and the sampler values they use.

The panel shows every sampler setting the chosen connection's backend accepts (the embedded model's when there is
no connection), grouped and built lazily by `SamplerForm`; changing the connection re-groups the fields. Empty
fields mean "the connection's value, else the backend's default", so a chat only stores what the user chose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from app.errors import TavernError
from app.services.chats import ChatConfig
from app.services.connections import ConnectionRead
from app.services.generation_settings import GenerationSettings
from app.services.providers.kinds import LOCAL_KIND, supported_samplers

from .dialog_buttons import cancel_save_buttons
from .page_context import PageContext
from .sampler_fields import SamplerForm, UnreadableField
from .sampler_preset_picker import sampler_preset_picker


class GenerationPanel:
    def __init__(self, ctx: PageContext, chat_id: str, on_saved: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        self.on_saved = on_saved

    async def open(self) -> None:
        t, services, user = self.ctx.t, self.ctx.services, self.ctx.user
        chat = await services.chats.get(user, self.chat_id)
        current = GenerationSettings.model_validate(chat.settings)
        connections = await services.connections.list(user)
        personas = {p.id: p.name for p in await services.personas.list(user)}
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('generation-panel'):
            ui.label(t('generation.title')).classes('text-lg font-bold')
            connection = ui.select({'': t('generation.default_connection'), **{c.id: c.name for c in connections}},
                                   value=chat.connection_id or '', label=t('generation.connection')) \
                .classes('w-full').mark('generation-connection')
            model = ui.input(t('generation.model'), value=current.model or '',
                             placeholder=t('generation.model_placeholder')).classes('w-full').mark('generation-model')
            persona = ui.select({'': t('generation.default_persona'), **personas}, value=chat.persona_id or '',
                                label=t('generation.persona')).classes('w-full').mark('generation-persona')
            await sampler_preset_picker(self.ctx, lambda settings: form.load(settings, accepted))
            form = SamplerForm(t, current.stored())
            accepted = supported_samplers(backend_kind(connections, chat.connection_id))
            form.show_for(accepted)
            ui.button(t('samplers.reset_all'), icon='restart_alt', on_click=form.reset_all) \
                .props('flat dense').mark('reset-all-samplers')
            error = ui.label().classes('text-negative').mark('generation-error')

            async def connection_changed(connection_id: str | None) -> None:
                nonlocal accepted
                accepted = supported_samplers(backend_kind(connections, connection_id))
                form.show_for(accepted)
                await self._offer_models(model, connection_id)

            connection.on_value_change(lambda e: connection_changed(e.value or None))

            async def save() -> None:
                try:
                    values: dict[str, Any] = form.values()
                except UnreadableField as unreadable:
                    error.text = t('samplers.unreadable', field=form.label(unreadable.key),
                                   detail=t(unreadable.reason))
                    return
                values['model'] = model.value.strip() or None
                try:
                    config = ChatConfig(connection_id=connection.value or None, persona_id=persona.value or None,
                                        settings=GenerationSettings(**values))
                    await services.chats.configure(user, self.chat_id, config)
                except ValidationError as invalid:
                    error.text = t('generation.invalid', fields=', '.join(
                        str(e['loc'][0]) for e in invalid.errors()))
                    return
                except TavernError as failure:
                    error.text = self.ctx.error_text(failure)
                    return
                dialog.close()
                await self.on_saved()

            cancel_save_buttons(self.ctx, dialog, save, save_marker='save-generation')
        dialog.open()
        await self._offer_models(model, chat.connection_id)

    async def _offer_models(self, model: ui.input, connection_id: str | None) -> None:
        """Suggest the connection's models (cached); a server that does not answer just gives no suggestions."""
        services, user = self.ctx.services, self.ctx.user
        row = await services.connections.get(user, connection_id) if connection_id \
            else await services.connections.default(user)
        try:
            names = await services.connections.models(user, row.id) if row else []
        except TavernError:
            names = []
        model.set_autocomplete(names)


def backend_kind(connections: list[ConnectionRead], connection_id: str | None) -> str:
    """The kind of server that answers: the chosen connection's, else the default one's, else the embedded model."""
    chosen = next((c for c in connections if c.id == connection_id), None) if connection_id else \
        next((c for c in connections if c.is_default), None)
    return chosen.provider if chosen else LOCAL_KIND
