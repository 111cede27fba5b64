"""A chat's generation settings: which model, and the sampler values the generation panel edits.

Settings are stored as a small JSON object on the chat (and on a connection, as its defaults); this model checks
their ranges so a typo cannot reach a provider, and turns them into the adapters' `SamplerSettings`. The ranges are
the ones SillyTavern's sliders allow, so any of its presets fits; each adapter sends only what its backend accepts.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from ..errors import InvalidInputError
from .providers.base import SamplerSettings

NOT_SAMPLERS = ('model', 'context_size')
LIST_KEYS = ('stop', 'dry_sequence_breakers', 'banned_tokens', 'banned_strings', 'logit_bias')
MAX_CONTEXT = 2_000_000

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
BiasKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Bias = Annotated[float, Field(ge=-100, le=100)]
TokenId = Annotated[int, Field(ge=0, le=10_000_000)]


class GenerationSettings(BaseModel):
    """Every field is optional: unset means "the connection's value, else the backend's default"."""

    model: str | None = Field(default=None, max_length=200)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    context_size: int | None = Field(default=None, ge=256, le=MAX_CONTEXT)
    temperature: float | None = Field(default=None, ge=0, le=5)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0, le=1000)
    min_p: float | None = Field(default=None, ge=0, le=1)
    typical_p: float | None = Field(default=None, ge=0, le=1)
    tfs: float | None = Field(default=None, ge=0, le=1)
    top_a: float | None = Field(default=None, ge=0, le=1)
    epsilon_cutoff: float | None = Field(default=None, ge=0, le=9)
    eta_cutoff: float | None = Field(default=None, ge=0, le=20)
    repetition_penalty: float | None = Field(default=None, ge=0.5, le=3)
    repetition_penalty_range: int | None = Field(default=None, ge=0, le=MAX_CONTEXT)
    repetition_penalty_slope: float | None = Field(default=None, ge=0, le=10)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    no_repeat_ngram_size: int | None = Field(default=None, ge=0, le=20)
    mirostat_mode: int | None = Field(default=None, ge=0, le=2)
    mirostat_tau: float | None = Field(default=None, ge=0, le=20)
    mirostat_eta: float | None = Field(default=None, ge=0, le=1)
    dry_multiplier: float | None = Field(default=None, ge=0, le=5)
    dry_base: float | None = Field(default=None, ge=1, le=4)
    dry_allowed_length: int | None = Field(default=None, ge=1, le=20)
    dry_penalty_last_n: int | None = Field(default=None, ge=-1, le=MAX_CONTEXT)
    dry_sequence_breakers: list[ShortText] | None = Field(default=None, max_length=50)
    xtc_threshold: float | None = Field(default=None, ge=0, le=0.5)
    xtc_probability: float | None = Field(default=None, ge=0, le=1)
    min_temp: float | None = Field(default=None, ge=0, le=5)
    max_temp: float | None = Field(default=None, ge=0, le=5, validate_default=True)
    dynatemp_exponent: float | None = Field(default=None, ge=0.01, le=10)
    smoothing_factor: float | None = Field(default=None, ge=0, le=10)
    smoothing_curve: float | None = Field(default=None, ge=1, le=10)
    seed: int | None = Field(default=None, ge=-1, le=2**63 - 1)
    logit_bias: dict[BiasKey, Bias] | None = Field(default=None, max_length=300)
    banned_tokens: list[TokenId] | None = Field(default=None, max_length=500)
    banned_strings: list[ShortText] | None = Field(default=None, max_length=100)
    min_length: int | None = Field(default=None, ge=0, le=32_768)
    ban_eos_token: bool | None = None
    stop: list[str] | None = Field(default=None, max_length=16)

    @field_validator('max_temp')
    @classmethod
    def _dynamic_temperature_bounds(cls, max_temp: float | None, info: ValidationInfo) -> float | None:
        min_temp = info.data.get('min_temp')
        if (min_temp is None) != (max_temp is None) and 'min_temp' in info.data:
            raise ValueError('set both the lowest and the highest temperature, or neither')
        if min_temp is not None and max_temp is not None and min_temp > max_temp:
            raise ValueError('the highest temperature must not be below the lowest')
        return max_temp

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the chat: only the values that are set; a blank model and empty lists are dropped."""
        values = self.model_dump(exclude_none=True)
        if not values.get('model'):
            values.pop('model', None)
        for key in LIST_KEYS:
            if not values.get(key):
                values.pop(key, None)
        return values


SAMPLER_KEYS = tuple(name for name in GenerationSettings.model_fields if name not in NOT_SAMPLERS)


def checked_settings(values: dict[str, Any]) -> GenerationSettings:
    """Validate stored or submitted settings; unknown keys are ignored, a bad value (or list item) names its field."""
    try:
        known = {key: value for key, value in values.items() if key in GenerationSettings.model_fields}
        return GenerationSettings.model_validate(known)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first['loc'][0])
        raise InvalidInputError('error.generation.settings', f'Invalid generation setting {field}: {first["msg"]}.',
                                field=field, detail=first['msg']) from None


def sampler_from(*layers: dict[str, Any]) -> SamplerSettings:
    """Sampler settings from stored settings; later layers (the chat) override earlier ones (the connection)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(checked_settings(layer).stored())
    return SamplerSettings(**{key: merged[key] for key in SAMPLER_KEYS if key in merged})
