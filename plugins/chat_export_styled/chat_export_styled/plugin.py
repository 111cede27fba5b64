"""Styled chat export: the plugin's hooks.

`export_formats` adds "Styled HTML" (`html`) and "ePub e-book" (`epub`) to the chat export menu and to
`GET /api/v1/chats/{id}/export?format=…`. The formats are asked for per user, so the labels are in the user's
language, and each export reads that user's settings (messages per ePub chapter, hidden notes, times) and the
character's avatar.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from plugins.sdk import ChatExportInput, ExportFormat, PluginContext, hookimpl

from .epub import epub
from .styled_html import styled_html
from .transcript import Avatar, Transcript, build_transcript

TEXT_KEYS = ('messages', 'note', 'chapter', 'chapter_range', 'contents', 'exported_from')


class UserSettings(BaseModel):
    """Each user's choices for their own exports (the form is on the Plugins page)."""

    messages_per_chapter: int = Field(default=50, ge=5, le=500, title='Messages per ePub chapter')
    include_notes: bool = Field(default=False, title='Include hidden notes',
                                description='Also export system notes (command results, hidden messages).')
    show_times: bool = Field(default=True, title='Show when each message was sent')


@hookimpl
def export_formats(ctx: PluginContext, user: Any) -> list[ExportFormat]:
    locale = (user.locale if user is not None else None) or 'en'

    async def as_html(given: ChatExportInput) -> bytes:
        transcript, _ = await _prepare(ctx, user, given, locale)
        return styled_html(transcript)

    async def as_epub(given: ChatExportInput) -> bytes:
        transcript, settings = await _prepare(ctx, user, given, locale)
        return epub(transcript, settings.messages_per_chapter)

    return [ExportFormat('html', ctx.t('format.html', locale), 'text/html; charset=utf-8', 'html', as_html),
            ExportFormat('epub', ctx.t('format.epub', locale), 'application/epub+zip', 'epub', as_epub)]


async def _prepare(ctx: PluginContext, user: Any, given: ChatExportInput, locale: str
                   ) -> tuple[Transcript, UserSettings]:
    """The chat ready for a file, following the user's settings, and those settings."""
    settings: UserSettings = await ctx.user_settings(user)
    picture = await ctx.services.character_avatar(user, given.chat.character_id)
    transcript = build_transcript(given, texts={key: ctx.t(key, locale) for key in TEXT_KEYS},
                                  avatar=Avatar(*picture) if picture is not None else None,
                                  include_notes=settings.include_notes, show_times=settings.show_times)
    return transcript, settings
