"""The "Translate" message action, and the translation shown under a message.

The action slot sits in the message's header, so the translation's box is moved to the end of the message's card,
under its text. A box the user opened stays open when the message is drawn again (it is remembered per user in this
process). With "show replies in" set, the newest reply is translated by itself, and any reply already translated
shows its translation; older replies are translated only when asked, so opening a long chat costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

from nicegui import background_tasks, ui

from plugins.sdk import PluginContext, SlotTarget

from .translations import LANGUAGE_NAMES, cached, in_flight, needs_translation, other_language, translate

NAME_MACRO = re.compile(r'\{\{(char|user)\}\}|<(BOT|USER)>', re.IGNORECASE)
_opened: dict[str, set[int]] = {}


class MessageTranslation:
    def __init__(self, ctx: PluginContext, target: SlotTarget, settings: Any, names: tuple[str, str] | None) -> None:
        assert target.message is not None
        self.ctx = ctx
        self.target = target
        self.message = target.message
        self.settings = settings
        self.names = names
        self.opened = _opened.setdefault(target.user.id, set())

    def t(self, key: str, **params: object) -> str:
        return self.ctx.t(key, self.target.locale, **params)

    def build(self) -> None:
        label = self.t('action.translate')
        seq = self.message.seq
        ui.button(icon='translate', on_click=self.toggle).props(f'flat round dense aria-label="{label}"') \
            .tooltip(label).mark(f'translate-message-{seq}')
        self.box = ui.column().classes('w-full gap-1 border-l-4 pl-3').mark(f'translation-{seq}')
        self.box.set_visibility(False)
        card = _message_card(self.box)
        if card is not None:
            self.box.move(card)
        if self.message.id in self.opened:
            background_tasks.create(self.fill(start=True), name=f'translate message {self.message.id}')
        elif self.message.role == 'assistant' and self.settings.replies != 'off':
            background_tasks.create(self.fill(start=False), name=f'translate reply {self.message.id}')

    async def toggle(self) -> None:
        if self.message.id in self.opened:
            self.opened.discard(self.message.id)
            self.box.clear()
            self.box.set_visibility(False)
            return
        self.opened.add(self.message.id)
        await self.fill(start=True)

    async def fill(self, *, start: bool) -> None:
        """Show the translation: from the cache, or (when `start`, or when it is the newest reply) from the model."""
        text, newest = await self._text()
        if not text.strip():
            return
        language = self.language_for(text) if start else self.settings.replies
        if not start and not needs_translation(text, language):
            return
        user_id = self.target.user.id
        translation = await cached(self.ctx, user_id, text, language)
        if translation is None and not (start or newest or in_flight(user_id, text, language)):
            return
        if translation is None:
            self._show_waiting()
            try:
                translation = await translate(self.ctx, self.target.user, self.message.chat_id, text, language)
            except Exception as error:  # the model's failure is shown where the translation would be
                self._show(self.t('action.failed', reason=str(error) or type(error).__name__), failed=True)
                return
        self._show(translation, caption=self.t('action.caption', language=LANGUAGE_NAMES[language]))

    def language_for(self, text: str) -> str:
        """The user's "show replies in" language, else their page's; the other one for a text already in it."""
        wanted = self.settings.replies if self.settings.replies != 'off' else (
            'zh-CN' if self.target.locale.startswith('zh') else 'en')
        return wanted if needs_translation(text, wanted) else other_language(text)

    async def _text(self) -> tuple[str, bool]:
        """The message's text with the chat's names filled in, and whether it is the newest message."""
        services, user, chat_id = self.ctx.services, self.target.user, self.message.chat_id
        found = await services.chat_messages(user, chat_id, limit=1, before_seq=self.message.seq + 1)
        if not found or found[0].id != self.message.id:
            return '', False
        newest = await services.chat_messages(user, chat_id, limit=1)
        char, person = self.names or (found[0].name if found[0].role == 'assistant' else '', '')
        text = NAME_MACRO.sub(lambda match: (char if (match.group(1) or match.group(2)).lower() in ('char', 'bot')
                                             else person) or match.group(0), found[0].content)
        return text, newest[-1].id == self.message.id

    def _show_waiting(self) -> None:
        if self.box.is_deleted:
            return
        self.box.clear()
        with self.box:
            ui.spinner(size='sm').mark(f'translation-waiting-{self.message.seq}')
        self.box.set_visibility(True)

    def _show(self, text: str, *, caption: str = '', failed: bool = False) -> None:
        if self.box.is_deleted:
            return
        self.box.clear()
        with self.box:
            if failed:
                ui.label(text).classes('text-negative text-sm')
            else:
                ui.label(caption).classes('text-xs opacity-60')
                ui.markdown(text).classes('w-full').mark(f'translation-text-{self.message.seq}')
        self.box.set_visibility(True)


def _message_card(element: ui.element) -> ui.element | None:
    """The nearest card around `element`: the message the action belongs to."""
    parent = element.parent_slot.parent if element.parent_slot else None
    while parent is not None and not isinstance(parent, ui.card):
        parent = parent.parent_slot.parent if parent.parent_slot else None
    return parent
