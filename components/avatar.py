"""A character's picture, or a coloured circle with the initial of its name when there is no picture yet."""

from __future__ import annotations

from nicegui import ui

PLACEHOLDER_COLORS = ('bg-rose-500', 'bg-amber-500', 'bg-emerald-500', 'bg-sky-500', 'bg-violet-500', 'bg-teal-600')


def avatar(name: str, url: str | None, *, size_classes: str = 'w-24 h-24 text-4xl') -> ui.element:
    """Show `url` as a square picture with rounded corners, or the placeholder for `name`."""
    if url:
        return ui.image(url).classes(f'{size_classes} rounded-lg shrink-0').props('fit=cover').mark('avatar-image')
    initial = name.strip()[:1].upper() or '?'
    color = PLACEHOLDER_COLORS[sum(map(ord, name)) % len(PLACEHOLDER_COLORS)]
    with ui.element('div').classes(f'{size_classes} {color} rounded-lg shrink-0 flex items-center justify-center') \
            .mark('avatar-placeholder') as placeholder:
        ui.label(initial).classes('text-white font-bold')
    return placeholder
