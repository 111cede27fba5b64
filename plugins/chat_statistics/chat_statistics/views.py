"""What the side panel and the page draw: the summary of a chat, figures, the speakers table, the longest message,
the messages-per-day chart and the character ranking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from nicegui import ui

from .collect import CharacterActivity
from .counting import Stats

Translate = Callable[..., str]
CHART_DAYS = 90


def whole(value: float) -> int:
    """Rounded half up (4.5 words → 5), as people round."""
    return int(value + 0.5)


def fallback_names(t: Translate) -> dict[str, str]:
    return {'user': t('you'), 'assistant': t('character')}


def summary(t: Translate, stats: Stats) -> None:
    """The compact summary of the side panel."""
    speakers = ' · '.join(f'{speaker.name} {speaker.messages}' for speaker in stats.ranked_speakers())
    ui.label(t('summary.messages', count=stats.messages)).classes('font-semibold').mark('stats-messages')
    if speakers:
        ui.label(speakers).classes('text-sm opacity-80').mark('stats-speakers')
    ui.label(t('summary.size', words=stats.words, characters=stats.characters)).classes('text-sm') \
        .mark('stats-size')
    ui.label(t('summary.average', words=whole(stats.average_reply_words))).classes('text-sm').mark('stats-average')
    if stats.longest is not None:
        ui.label(t('summary.longest', name=stats.longest.speaker, words=stats.longest.words)).classes('text-sm') \
            .mark('stats-longest')


def figures(t: Translate, stats: Stats, chats: int | None = None) -> None:
    with ui.row().classes('w-full gap-3'):
        items = [('messages', stats.messages), ('words', stats.words), ('characters', stats.characters),
                 ('average', whole(stats.average_reply_words))]
        if chats is not None:
            items.insert(0, ('chats', chats))
        for key, value in items:
            with ui.card().classes('min-w-[9rem]').mark(f'figure-{key}'):
                ui.label(f'{value:,}').classes('text-2xl font-bold')
                ui.label(t(f'figure.{key}')).classes('text-sm opacity-70')


def speakers_table(t: Translate, stats: Stats) -> None:
    columns = [{'name': name, 'label': t(f'column.{name}'), 'field': name, 'align': 'left' if name == 'name' else
                'right'} for name in ('name', 'messages', 'words', 'characters', 'average')]
    rows = [{'name': speaker.name, 'messages': speaker.messages, 'words': speaker.words,
             'characters': speaker.characters, 'average': whole(speaker.average_words)}
            for speaker in stats.ranked_speakers()]
    ui.table(columns=columns, rows=rows, row_key='name').classes('w-full').mark('stats-speakers-table')


def longest(t: Translate, stats: Stats) -> None:
    if stats.longest is None:
        return
    found = stats.longest
    with ui.card().classes('w-full').mark('stats-longest-card'):
        ui.label(t('longest.title', name=found.speaker, words=found.words, characters=found.characters)) \
            .classes('font-semibold')
        ui.label(found.excerpt).classes('text-sm opacity-80')
        ui.link(t('longest.open'), f'/chat/{found.chat_id}?message={found.message_id}').mark('stats-longest-link')


def per_day_chart(t: Translate, stats: Stats) -> None:
    days, counts = daily_series(stats.per_day)
    if not days:
        return
    ui.label(t('chart.title')).classes('text-lg font-semibold')
    ui.echart({'tooltip': {'trigger': 'axis'}, 'grid': {'left': 40, 'right': 16, 'top': 16, 'bottom': 40},
               'xAxis': {'type': 'category', 'data': days}, 'yAxis': {'type': 'value', 'minInterval': 1},
               'series': [{'type': 'bar', 'name': t('chart.series'), 'data': counts}]}) \
        .classes('w-full h-64').mark('stats-per-day')


def daily_series(per_day: dict[date, int]) -> tuple[list[str], list[int]]:
    """Every day from the first to the last active one (at most the last `CHART_DAYS`), quiet days as 0."""
    if not per_day:
        return [], []
    last = max(per_day)
    first = max(min(per_day), last - timedelta(days=CHART_DAYS - 1))
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [day.isoformat() for day in days], [per_day.get(day, 0) for day in days]


def characters_table(t: Translate, ranking: list[CharacterActivity], limit: int = 10) -> None:
    if not ranking:
        return
    ui.label(t('characters.title')).classes('text-lg font-semibold')
    columns = [{'name': 'name', 'label': t('column.character'), 'field': 'name', 'align': 'left'},
               {'name': 'messages', 'label': t('column.messages'), 'field': 'messages', 'align': 'right'},
               {'name': 'chats', 'label': t('column.chats'), 'field': 'chats', 'align': 'right'}]
    rows: list[dict[str, Any]] = [{'id': item.character_id, 'name': item.name, 'messages': item.messages,
                                   'chats': item.chats} for item in ranking[:limit]]
    ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').mark('stats-characters-table')
