"""The "Suggest replies" button of the chat toolbar: a click asks the model and opens a small menu with the
replies as chips; clicking a chip puts its text into the message box (to edit and send) and closes the menu. While
the model works the menu shows a spinner; "Other suggestions" asks again; a failing model shows its message."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from plugins.sdk import PluginContext, SlotTarget

from .suggest import suggest_replies


class SuggestionButton:
    def __init__(self, ctx: PluginContext, target: SlotTarget) -> None:
        self.ctx = ctx
        self.target = target
        self.busy = False
        label = self.t('button')
        with ui.button(icon='tips_and_updates', on_click=self.suggest) \
                .props(f'flat round dense aria-label="{label}"').mark('reply-suggestions'):
            ui.tooltip(label)
            with ui.menu().props('no-parent-event anchor="top left" self="bottom left"') as self.menu:
                self.box = ui.column().classes('p-3 gap-2 max-w-md').mark('reply-suggestions-menu')

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.target.locale, **params)

    async def suggest(self) -> None:
        if self.busy or self.target.chat_id is None:
            return
        self.busy = True
        self.menu.open()
        self._show_waiting()
        try:
            settings = await self.ctx.user_settings(self.target.user)
            replies = await suggest_replies(self.ctx, self.target.user, self.target.chat_id, settings.count,
                                            settings.max_words)
        except Exception as error:  # the model failed (unreachable, refused, busy): say so in the menu
            self.ctx.log.warning('suggestions for chat %s failed: %s', self.target.chat_id, error)
            self._show_failure(getattr(error, 'message', '') or str(error))
            return
        finally:
            self.busy = False
        self._show(replies)

    def use(self, text: str) -> None:
        self.target.fill_input(text)
        self.menu.close()

    def _show_waiting(self) -> None:
        self.box.clear()
        with self.box, ui.row().classes('items-center gap-2'):
            ui.spinner(size='sm')
            ui.label(self.t('waiting')).mark('reply-suggestions-waiting')

    def _show_failure(self, message: str) -> None:
        self.box.clear()
        with self.box:
            ui.label(self.t('failed', reason=message)).classes('text-negative').mark('reply-suggestions-failed')
            self._again()

    def _show(self, replies: list[str]) -> None:
        self.box.clear()
        with self.box:
            if not replies:
                ui.label(self.t('none')).mark('reply-suggestions-none')
            for text in replies:
                ui.chip(text, icon='reply', on_click=lambda text=text: self.use(text)) \
                    .props('clickable outline color=primary').classes('h-auto py-1 max-w-full') \
                    .style('white-space: normal').mark('reply-suggestion')
            self._again()

    def _again(self) -> None:
        ui.button(self.t('again'), icon='refresh', on_click=self.suggest).props('flat dense no-caps') \
            .mark('reply-suggestions-again')
