"""SillyTavern's timestamps: read every `send_date`/`create_date` shape it has written, and write its own shapes.

SillyTavern stores dates as display text (`"June 14, 2024 5:25am"`), humanized stamps (`"2024-6-14@08h18m03s"`,
`"2023-5-12 @21h 32m 29s 224ms"`), ISO-8601 or unix milliseconds. The text is kept as it was; the parsed datetime
only orders and dates our rows. Without a zone the time is taken as UTC (the writer's zone is not in the file).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
          'November', 'December')
DISPLAY = re.compile(r'(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})\s+'
                     r'(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[AaPp][Mm])')
HUMANIZED = re.compile(r'(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\s*@\s*(?P<hour>\d{1,2})h\s*'
                       r'(?P<minute>\d{1,2})m\s*(?P<second>\d{1,2})s(?:\s*(?P<ms>\d{1,3})ms)?')
MIN_UNIX_MS = 10**11  # smaller numbers are seconds, not milliseconds


def parse_st_date(value: object) -> datetime | None:
    """The moment a SillyTavern date stands for, or None when it is missing or in no known shape."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_unix(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r'\d+(\.\d+)?', text):
        return _from_unix(float(text))
    return _display(text) or _humanized(text) or _iso(text)


def format_send_date(moment: datetime) -> str:
    """SillyTavern's message timestamp shape, `"June 14, 2024 5:25am"`."""
    half = 'am' if moment.hour < 12 else 'pm'
    return f'{MONTHS[moment.month - 1]} {moment.day}, {moment.year} {(moment.hour % 12) or 12}:{moment:%M}{half}'


def format_create_date(moment: datetime) -> str:
    """SillyTavern's chat creation stamp, `"2024-06-14@08h18m03s"`."""
    return f'{moment:%Y-%m-%d@%Hh%Mm%Ss}'


def _from_unix(number: float) -> datetime | None:
    seconds = number / 1000 if number >= MIN_UNIX_MS else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _display(text: str) -> datetime | None:
    match = DISPLAY.fullmatch(text)
    if match is None or match['month'].capitalize() not in MONTHS:
        return None
    hour = int(match['hour']) % 12 + (12 if match['half'].lower() == 'pm' else 0)
    return _build(int(match['year']), MONTHS.index(match['month'].capitalize()) + 1, int(match['day']), hour,
                  int(match['minute']))


def _humanized(text: str) -> datetime | None:
    match = HUMANIZED.fullmatch(text)
    if match is None:
        return None
    return _build(int(match['year']), int(match['month']), int(match['day']), int(match['hour']),
                  int(match['minute']), int(match['second']), int(match['ms'] or 0) * 1000)


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _build(*parts: int) -> datetime | None:
    try:
        return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
    except ValueError:
        return None
