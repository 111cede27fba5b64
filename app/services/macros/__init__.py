"""SillyTavern's macros (`{{char}}`, `{{random::a::b}}`, `{{setvar::n::v}}`, `{{time}}`, …) for prompt texts.

`substitute_macros(text, ctx)` expands one text with the values of a `MacroContext`; see `engine` for the order
and `variables`/`clock` for the variable and time macros.
"""

from .clock import format_moment, humanize
from .context import MacroContext
from .engine import substitute_macros

__all__ = ['MacroContext', 'format_moment', 'humanize', 'substitute_macros']
