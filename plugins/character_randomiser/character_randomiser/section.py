"""The "Surprise me" section of the library page: a tag filter (starting from the user's setting), a button that
picks a random character, and the pick as a card — picture, name, tags, a short description — with "Chat now" and
"Another"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from plugins.sdk import PluginContext, SlotTarget

if TYPE_CHECKING:
    from plugins.sdk import CharacterView

from . import picker


class SurpriseSection:
    def __init__(self, ctx: PluginContext, target: SlotTarget, tags: list[str], tag: str,
                 favorites_only: bool) -> None:
        self.ctx = ctx
        self.target = target
        self.favorites_only = favorites_only
        self.shown: str | None = None
        with ui.card().classes('w-full').mark('randomiser'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.icon('casino', size='sm').classes('text-primary')
                ui.label(self.t('title')).classes('text-lg font-semibold')
                ui.space()
                options = {'': self.t('all_tags'), **{name: name for name in sorted({*tags, tag} - {''})}}
                self.tag = ui.select(options, value=tag, label=self.t('tag')).props('outlined dense') \
                    .classes('w-48').mark('randomiser-tag')
                ui.button(self.t('pick'), icon='shuffle', on_click=self.pick).mark('randomiser-pick')
            self.result = ui.element('div').classes('w-full')

    def t(self, key: str, **params: Any) -> str:
        return self.ctx.t(key, self.target.locale, **params)

    async def pick(self) -> None:
        characters = await picker.library(self.ctx, self.target.user, tag=self.tag.value or '',
                                          favorites_only=self.favorites_only)
        chosen = picker.pick(characters, avoid=self.shown)
        self.result.clear()
        with self.result:
            if chosen is None:
                ui.label(self.t('empty_tag' if self.tag.value else 'empty')).classes('opacity-70') \
                    .mark('randomiser-empty')
                return
            self.shown = chosen.id
            self._card(chosen)

    def _card(self, character: CharacterView) -> None:
        with ui.row().classes('w-full items-start gap-4 no-wrap').mark('randomiser-result', f'picked-{character.id}'):
            if character.thumbnail_url:
                ui.image(character.thumbnail_url).classes('w-24 h-24 rounded-lg shrink-0').props('fit=cover')
            else:
                ui.avatar(character.name[:1].upper() or '?', color='primary', text_color='white', size='6rem',
                          square=True).classes('rounded-lg shrink-0')
            with ui.column().classes('gap-1 grow min-w-0'):
                ui.label(character.name).classes('text-xl font-bold').mark('randomiser-name')
                if character.tags:
                    with ui.row().classes('gap-1'):
                        for tag in character.tags[:8]:
                            ui.chip(tag).props('dense outline')
                if character.short_description:
                    ui.label(character.short_description).classes('text-sm opacity-80')
                with ui.row().classes('gap-2 pt-1'):
                    ui.button(self.t('chat_now'), icon='chat',
                              on_click=lambda: ui.navigate.to(f'/characters/{character.id}/chat')) \
                        .mark('randomiser-chat')
                    ui.button(self.t('another'), icon='shuffle', on_click=self.pick).props('flat') \
                        .mark('randomiser-another')
