"""The styled HTML export: one standalone file (CSS inline, the avatar as a data URI, no scripts), readable offline,
in light or dark mode, and printable."""

from __future__ import annotations

from .markup import text
from .styles import PAGE_CSS
from .transcript import Entry, Transcript, initials_of

TIME_FORMAT = '%Y-%m-%d %H:%M UTC'


def styled_html(transcript: Transcript) -> bytes:
    title = text(transcript.title)
    head = (f'<meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<meta name="generator" content="TavernAI Plus · Styled chat export"/><title>{title}</title>'
            f'<style>{PAGE_CSS}</style>')
    header = (f'<header class="chat-title">{_avatar(transcript, transcript.character_name, "assistant")}'
              f'<div><h1>{title}</h1><p class="subtitle">{text(transcript.subtitle())}</p></div></header>')
    messages = '\n'.join(message_html(transcript, entry) for entry in transcript.entries)
    footer = f'<footer>{text(transcript.texts["exported_from"])}</footer>'
    page = (f'<!DOCTYPE html>\n<html lang="{transcript.language}"><head>{head}</head>\n<body><main>\n{header}\n'
            f'{messages}\n{footer}\n</main></body></html>\n')
    return page.encode('utf-8')


def message_html(transcript: Transcript, entry: Entry) -> str:
    sent = ''
    if transcript.show_times and entry.sent_at is not None:
        sent = f'<time datetime="{entry.sent_at.isoformat()}">{entry.sent_at.strftime(TIME_FORMAT)}</time>'
    return (f'<article class="message {entry.role}" id="m{entry.seq}">{_avatar(transcript, entry.name, entry.role)}'
            f'<div class="bubble"><div class="meta"><span class="name">{text(entry.name)}</span>{sent}</div>'
            f'<div class="content">{entry.html}</div></div></article>')


def _avatar(transcript: Transcript, name: str, role: str) -> str:
    if role == 'assistant' and transcript.avatar is not None and name == transcript.character_name:
        return f'<img class="avatar" src="{transcript.avatar.data_uri()}" alt=""/>'
    return f'<span class="avatar initials" aria-hidden="true">{text(initials_of(name))}</span>'
