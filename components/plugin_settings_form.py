"""A settings form built from a plugin's pydantic model (admin-wide `Settings` or per-user `UserSettings`).

Field kinds: str (a password input when the field is a `secret()`), int, float, bool, Literal and Enum choices, and
list[str] (one item per line). Descriptions become hints; validation errors show on their field. Secrets arrive
redacted (`********`) and are sent back unchanged unless the user types a new value, which keeps the stored one.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Union, get_args, get_origin

from nicegui import ui
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from app.errors import TavernError
from app.plugins.settings_store import secret_fields

from .page_context import PageContext

SaveSettings = Callable[[dict[str, Any]], Awaitable[None]]


class PluginSettingsForm:
    """One form for one settings model; `marker` prefixes the test markers of its inputs and buttons."""

    def __init__(self, ctx: PageContext, model: type[BaseModel], values: dict[str, Any], save: SaveSettings, *,
                 marker: str, error: str | None = None) -> None:
        self.ctx = ctx
        self.model = model
        self.save_settings = save
        self.marker = marker
        self.secrets = secret_fields(model)
        self.inputs: dict[str, Any] = {}
        with ui.column().classes('w-full gap-2').mark(marker):
            if error:
                ui.label(error).classes('text-warning text-sm').mark(f'{marker}-stored-error')
            for name, info in model.model_fields.items():
                self.inputs[name] = self._field(name, info, values.get(name, info.get_default(
                    call_default_factory=True)))
            ui.button(ctx.t('common.save'), icon='save', on_click=self.save).mark(f'{marker}-save')

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, element in self.inputs.items():
            info = self.model.model_fields[name]
            value = element.value
            if _is_list(info.annotation):
                value = [line.strip() for line in (value or '').splitlines() if line.strip()]
            elif _is_number(info.annotation) and value == '':
                value = None
            data[name] = value
        return data

    async def save(self) -> None:
        for element in self.inputs.values():
            element.props(remove='error error-message')
        data = self.data()
        try:
            self.model.model_validate(data)
            await self.save_settings(data)
        except ValidationError as error:
            self._show_errors({str(item['loc'][0]): item['msg'] for item in error.errors() if item['loc']})
            ui.notify(self.ctx.t('plugins.settings_invalid'), type='warning')
            return
        except TavernError as failure:
            errors = failure.params.get('errors')
            if isinstance(errors, dict):
                self._show_errors({key.split('.')[0]: value for key, value in errors.items()})
            ui.notify(self.ctx.error_text(failure), type='negative')
            return
        ui.notify(self.ctx.t('plugins.settings_saved'), type='positive')

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            element = self.inputs.get(name)
            if element is not None:
                element.props['error'] = True
                element.props['error-message'] = message
                element.update()

    def _field(self, name: str, info: FieldInfo, value: Any) -> Any:
        label = info.title or name.replace('_', ' ').capitalize()
        annotation = _unwrap_optional(info.annotation)
        choices = _choices(annotation)
        marker = f'{self.marker}-{name}'
        if annotation is bool:
            element = ui.switch(label, value=bool(value))
        elif choices is not None:
            element = ui.select(choices, label=label, value=value.value if isinstance(value, enum.Enum) else value)
        elif annotation in (int, float):
            element = ui.number(label, value=value, precision=0 if annotation is int else None)
        elif _is_list(annotation):
            element = ui.textarea(label, value='\n'.join(str(item) for item in value or []))
        else:
            element = ui.input(label, value='' if value is None else str(value), password=name in self.secrets,
                               password_toggle_button=name in self.secrets)
        element.classes('w-full').mark(marker)
        if info.description:
            if annotation is bool:
                element.tooltip(info.description)
            else:
                element.props['hint'] = info.description
        return element


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        arguments = [item for item in get_args(annotation) if item is not type(None)]
        if len(arguments) == 1:
            return arguments[0]
    return annotation


def _choices(annotation: Any) -> dict[Any, str] | None:
    if get_origin(annotation) is Literal:
        return {value: str(value) for value in get_args(annotation)}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {member.value: str(member.value) for member in annotation}
    return None


def _is_list(annotation: Any) -> bool:
    return get_origin(_unwrap_optional(annotation)) in (list, tuple, set)


def _is_number(annotation: Any) -> bool:
    return _unwrap_optional(annotation) in (int, float)
