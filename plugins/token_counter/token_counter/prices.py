"""The price table: one line per model, `model = input price / output price`, in the chosen currency per million
tokens. `*` in a model name matches anything (`claude-sonnet-4*` covers every dated version). The most specific line
wins: an exact name first, then the longest pattern that matches — so `gpt-4o-mini*` beats `gpt-4o*` whatever the
order of the lines. A model written with a provider prefix (`openai/gpt-4o`, as routers name them) also matches
the line for its last part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

LINE = re.compile(r'^\s*(?P<model>[^=\s]+)\s*=\s*(?P<input>\d+(?:\.\d+)?)\s*/\s*(?P<output>\d+(?:\.\d+)?)\s*$')
MILLION = 1_000_000
DEFAULT_PRICES = [
    'gpt-4o* = 2.50 / 10.00',
    'gpt-4o-mini* = 0.15 / 0.60',
    'gpt-4.1* = 2.00 / 8.00',
    'gpt-4.1-mini* = 0.40 / 1.60',
    'gpt-4.1-nano* = 0.10 / 0.40',
    'claude-3-5-haiku* = 0.80 / 4.00',
    'claude-3-5-sonnet* = 3.00 / 15.00',
    'claude-sonnet-4* = 3.00 / 15.00',
    'claude-opus-4* = 15.00 / 75.00',
    'gemini-1.5-flash* = 0.075 / 0.30',
    'gemini-1.5-pro* = 1.25 / 5.00',
    'gemini-2.0-flash* = 0.10 / 0.40',
    'deepseek-chat = 0.27 / 1.10',
    'deepseek-reasoner = 0.55 / 2.19',
]
"""List prices in US dollars when this plugin was written; the administrator should check them."""


@dataclass(frozen=True)
class Price:
    pattern: str
    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million) / MILLION


def parse_price(line: str) -> Price:
    """One line of the table; ValueError with a message an administrator can act on."""
    match = LINE.match(line)
    if match is None:
        raise ValueError(f'"{line.strip()}" is not "model = input price / output price" (for example '
                         '"gpt-4o = 2.50 / 10.00")')
    return Price(match['model'].lower(), float(match['input']), float(match['output']))


class PriceTable:
    def __init__(self, lines: list[str]) -> None:
        self.prices = [parse_price(line) for line in lines if line.strip()]

    def price_for(self, model: str) -> Price | None:
        """The most specific line for `model`, or None when no line covers it."""
        names = {model.lower(), model.lower().rsplit('/', 1)[-1]}
        for price in self.prices:
            if price.pattern in names and '*' not in price.pattern:
                return price
        matching = [price for price in self.prices if any(fnmatchcase(name, price.pattern) for name in names)]
        return max(matching, key=lambda price: len(price.pattern.replace('*', '')), default=None)
