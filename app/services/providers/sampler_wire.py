"""How sampler settings become request fields: the backend's name (or names) for each, only the values that are set,
and dynamic temperature as a midpoint and a range.

Every adapter lists the settings it sends in a `{setting: wire name(s)}` table, so its `SUPPORTED_SAMPLERS` and its
request body come from the same place and a setting the backend does not know is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import SamplerSettings

WireNames = Mapping[str, str | tuple[str, ...]]


def renamed(sampler: SamplerSettings, names: WireNames) -> dict[str, Any]:
    """The set values of the settings in `names`, under the backend's names (a setting may go out under several)."""
    fields: dict[str, Any] = {}
    for key, wire in names.items():
        value = getattr(sampler, key)
        if not is_set(value):
            continue
        fields.update(dict.fromkeys((wire,) if isinstance(wire, str) else wire, value))
    return fields


def dynamic_temperature(sampler: SamplerSettings) -> tuple[float, float] | None:
    """`(midpoint, half range)` when both bounds are set: the temperature then varies between them by entropy."""
    if sampler.min_temp is None or sampler.max_temp is None:
        return None
    return (sampler.min_temp + sampler.max_temp) / 2, (sampler.max_temp - sampler.min_temp) / 2


def is_set(value: Any) -> bool:
    """Unset is None or an empty list or mapping; `0` and `False` are values a user chose."""
    return value is not None and value != [] and value != {}


def token_id_bias(logit_bias: Mapping[str, float]) -> dict[str, float]:
    """The entries keyed by a token id, for backends that cannot tokenize text keys themselves."""
    return {key: bias for key, bias in logit_bias.items() if is_token_id(key)}


def is_token_id(key: str) -> bool:
    """A logit bias key written as digits names a token id; any other key is text."""
    return key.isascii() and key.isdigit()
