"""Edits a character's alternate greetings: a list of texts that can be added, removed and reordered."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from .page_context import PageContext


class GreetingsEditor:
    def __init__(self, ctx: PageContext, value: list[str], on_change: Callable[[], None]) -> None:
        self.ctx = ctx
        self.value = list(value)
        self.on_change = on_change
        with ui.column().classes('w-full gap-2'):
            self.rows = ui.column().classes('w-full gap-2')
            self._show_rows()
            ui.button(ctx.t('editor.greetings.add'), icon='add', on_click=self.add).props('flat') \
                .mark('greeting-add')

    def set_value(self, value: list[str]) -> None:
        """Replace all greetings (after loading or saving) without reporting a change."""
        self.value = list(value)
        self._show_rows()

    def add(self) -> None:
        self.value.append('')
        self._changed()

    def remove(self, index: int) -> None:
        del self.value[index]
        self._changed()

    def move(self, index: int, offset: int) -> None:
        """Swap greeting `index` with its neighbour `offset` places away (-1 up, +1 down)."""
        target = index + offset
        self.value[index], self.value[target] = self.value[target], self.value[index]
        self._changed()

    def _changed(self) -> None:
        self._show_rows()
        self.on_change()

    def _show_rows(self) -> None:
        self.rows.clear()
        with self.rows:
            if not self.value:
                ui.label(self.ctx.t('editor.greetings.none')).classes('text-sm opacity-70')
            for index, text in enumerate(self.value):
                self._row(index, text)

    def _row(self, index: int, text: str) -> None:
        last = len(self.value) - 1
        with ui.row().classes('w-full items-start no-wrap gap-1').mark(f'greeting-row-{index}'):
            ui.textarea(self.ctx.t('editor.greetings.item', number=index + 1), value=text,
                        on_change=lambda e, i=index: self._edit(i, e.value)) \
                .props('autogrow outlined').classes('grow').mark(f'greeting-{index}')
            with ui.column().classes('gap-0'):
                self._button('arrow_upward', 'editor.greetings.up', lambda i=index: self.move(i, -1), index == 0) \
                    .mark(f'greeting-up-{index}')
                self._button('arrow_downward', 'editor.greetings.down', lambda i=index: self.move(i, 1),
                             index == last).mark(f'greeting-down-{index}')
                self._button('delete', 'editor.greetings.remove', lambda i=index: self.remove(i), False) \
                    .mark(f'greeting-remove-{index}')

    def _edit(self, index: int, text: str) -> None:
        self.value[index] = text or ''
        self.on_change()

    def _button(self, icon: str, label_key: str, action: Callable[[], None], disabled: bool) -> ui.button:
        button = ui.button(icon=icon, on_click=action).props('flat round dense')
        button.props['aria-label'] = self.ctx.t(label_key)
        button.tooltip(self.ctx.t(label_key))
        button.set_enabled(not disabled)
        return button
