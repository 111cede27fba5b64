"""A chat's generation settings: which model, and the sampler values the generation panel edits.

Settings are stored as a small JSON object on the chat (and on a connection, as its defaults); this model checks
their ranges so a typo cannot reach a provider, and turns them into the adapters' `SamplerSettings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import InvalidInputError
from .providers.base import SamplerSettings

SAMPLER_KEYS = ('max_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty', 'frequency_penalty',
                'presence_penalty', 'seed', 'stop')


class GenerationSettings(BaseModel):
    """Every field is optional: unset means "the connection's value, else the backend's default"."""

    model: str | None = Field(default=None, max_length=200)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    context_size: int | None = Field(default=None, ge=256, le=2_000_000)
    temperature: float | None = Field(default=None, ge=0, le=5)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0, le=1000)
    min_p: float | None = Field(default=None, ge=0, le=1)
    repetition_penalty: float | None = Field(default=None, ge=0.5, le=3)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    seed: int | None = None
    stop: list[str] | None = Field(default=None, max_length=16)

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the chat: only the values that are set, blank model and empty stops dropped."""
        values = self.model_dump(exclude_none=True)
        if not values.get('model'):
            values.pop('model', None)
        if not values.get('stop'):
            values.pop('stop', None)
        return values


def checked_settings(values: dict[str, Any]) -> GenerationSettings:
    """Validate stored or submitted settings; unknown keys are ignored, bad values name the field."""
    try:
        known = {key: value for key, value in values.items() if key in GenerationSettings.model_fields}
        return GenerationSettings.model_validate(known)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = '.'.join(str(part) for part in first['loc'])
        raise InvalidInputError('error.generation.settings', f'Invalid generation setting {field}: {first["msg"]}.',
                                field=field, detail=first['msg']) from None


def sampler_from(*layers: dict[str, Any]) -> SamplerSettings:
    """Sampler settings from stored settings; later layers (the chat) override earlier ones (the connection)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(checked_settings(layer).model_dump(exclude_none=True))
    return SamplerSettings(**{key: merged[key] for key in SAMPLER_KEYS if merged.get(key) is not None})
