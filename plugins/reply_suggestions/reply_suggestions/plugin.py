"""Reply suggestions: the plugin's hooks.

A "Suggest replies" button in the chat toolbar (`toolbar.py`) asks the chat's own model, in a quiet generation that
stores nothing, for a few short replies the user could send next (`suggest.py`), in the language the chat is
written in. Each user chooses how many suggestions and how long they may be.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from plugins.sdk import PluginContext, SlotBuilder, SlotTarget, hookimpl

TOOLBAR = 'chat.input.toolbar'


class UserSettings(BaseModel):
    count: int = Field(default=3, ge=1, le=5, title='Number of suggestions')
    max_words: int = Field(default=25, ge=5, le=80, title='Words per suggestion at most')


@hookimpl
def ui_slot(ctx: PluginContext, slot: str) -> SlotBuilder | None:
    if slot != TOOLBAR:
        return None

    def build(target: SlotTarget) -> None:
        from .toolbar import SuggestionButton

        SuggestionButton(ctx, target)

    return build
