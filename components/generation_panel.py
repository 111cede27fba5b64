"""The generation panel of a chat: which connection and model answer it, and the sampler values they use.

Empty fields mean "the connection's value, else the backend's default", so a chat only stores what the user chose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from app.errors import TavernError
from app.services.chats import ChatConfig
from app.services.generation_settings import GenerationSettings

from .dialog_buttons import cancel_save_buttons
from .page_context import PageContext

NUMBER_FIELDS: tuple[tuple[str, float, float, float], ...] = (  # field, minimum, maximum, step
    ('temperature', 0, 5, 0.05), ('top_p', 0, 1, 0.01), ('top_k', 0, 1000, 1), ('min_p', 0, 1, 0.01),
    ('repetition_penalty', 0.5, 3, 0.01), ('max_tokens', 1, 32_768, 1), ('context_size', 256, 2_000_000, 256),
)
INTEGER_FIELDS = {'top_k', 'max_tokens', 'context_size'}


class GenerationPanel:
    def __init__(self, ctx: PageContext, chat_id: str, on_saved: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        self.on_saved = on_saved

    async def open(self) -> None:
        t, services, user = self.ctx.t, self.ctx.services, self.ctx.user
        chat = await services.chats.get(user, self.chat_id)
        current = GenerationSettings.model_validate(chat.settings)
        connections = {c.id: c.name for c in await services.connections.list(user)}
        personas = {p.id: p.name for p in await services.personas.list(user)}
        with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('generation-panel'):
            ui.label(t('generation.title')).classes('text-lg font-bold')
            connection = ui.select({'': t('generation.default_connection'), **connections},
                                   value=chat.connection_id or '', label=t('generation.connection')) \
                .classes('w-full').mark('generation-connection')
            model = ui.input(t('generation.model'), value=current.model or '',
                             placeholder=t('generation.model_placeholder')).classes('w-full').mark('generation-model')
            persona = ui.select({'': t('generation.default_persona'), **personas}, value=chat.persona_id or '',
                                label=t('generation.persona')).classes('w-full').mark('generation-persona')
            numbers = self._number_fields(current)
            stop = ui.textarea(t('generation.stop'), value='\n'.join(current.stop or [])) \
                .props('autogrow outlined').classes('w-full').mark('generation-stop')
            error = ui.label().classes('text-negative').mark('generation-error')
            connection.on_value_change(lambda e: self._offer_models(model, e.value or None))

            async def save() -> None:
                values: dict[str, Any] = {name: _number(field.value, name) for name, field in numbers.items()}
                values['model'] = model.value.strip() or None
                values['stop'] = [line for line in (stop.value or '').splitlines() if line.strip()] or None
                try:
                    config = ChatConfig(connection_id=connection.value or None, persona_id=persona.value or None,
                                        settings=GenerationSettings(**values))
                    await services.chats.configure(user, self.chat_id, config)
                except ValidationError as invalid:
                    error.text = t('generation.invalid', fields=', '.join(
                        str(e['loc'][-1]) for e in invalid.errors()))
                    return
                except TavernError as failure:
                    error.text = self.ctx.error_text(failure)
                    return
                dialog.close()
                await self.on_saved()

            cancel_save_buttons(self.ctx, dialog, save, save_marker='save-generation')
        dialog.open()
        await self._offer_models(model, chat.connection_id)

    def _number_fields(self, current: GenerationSettings) -> dict[str, ui.number]:
        fields: dict[str, ui.number] = {}
        with ui.grid(columns=2).classes('w-full gap-2'):
            for name, minimum, maximum, step in NUMBER_FIELDS:
                fields[name] = ui.number(self.ctx.t(f'generation.{name}'), value=getattr(current, name),
                                         min=minimum, max=maximum, step=step,
                                         placeholder=self.ctx.t('generation.default_value')) \
                    .props('clearable dense').mark(f'generation-{name}')
        return fields

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


def _number(value: float | None, name: str) -> float | int | None:
    if value is None:
        return None
    return int(value) if name in INTEGER_FIELDS else float(value)
