"""Time macros: `{{time}}`, `{{date}}`, `{{weekday}}`, `{{isotime}}`, `{{isodate}}`, `{{datetimeformat …}}`,
`{{idle_duration}}`, `{{time_UTC±N}}` and `{{timeDiff::a::b}}`, written like SillyTavern's moment.js in English.

SillyTavern formats with moment.js, so `{{datetimeformat …}}` takes moment's tokens (`YYYY-MM-DD HH:mm`,
`dddd`, `Do MMMM`, `[literal]`, …), which are translated here rather than passed to `strftime`; durations are
"humanized" with moment's thresholds ("a few seconds", "5 minutes", "a day", "in 2 hours", "3 days ago").
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

_LONG_FORMATS = {
    'LTS': 'h:mm:ss A', 'LT': 'h:mm A', 'L': 'MM/DD/YYYY', 'LL': 'MMMM D, YYYY', 'LLL': 'MMMM D, YYYY h:mm A',
    'LLLL': 'dddd, MMMM D, YYYY h:mm A', 'l': 'M/D/YYYY', 'll': 'MMM D, YYYY', 'lll': 'MMM D, YYYY h:mm A',
    'llll': 'ddd, MMM D, YYYY h:mm A',
}
_LONG_TOKENS = re.compile(r'(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})')
_TOKENS = re.compile(
    r'(\[[^\[]*\])|(\\)?([Hh]mm(?:ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?|YYYYYY|YYYYY|YYYY'
    r'|YY|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?|.)', re.DOTALL)
_DAYS = list(calendar.day_name)


def _ordinal(number: int) -> str:
    if 11 <= number % 100 <= 13:
        return f'{number}th'
    return f'{number}{ {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")}'


def _week_offset(year: int, first_weekday: int, doy: int) -> int:
    """moment's `firstWeekOffset`: where week 1 of `year` starts, relative to 1 January (weekdays 0 = Sunday)."""
    fwd = 7 + first_weekday - doy
    weekday = (date(year, 1, 1) + timedelta(days=fwd - 1)).isoweekday() % 7
    return -((7 + weekday - first_weekday) % 7) + fwd - 1


def _week_of_year(moment: datetime, first_weekday: int, doy: int) -> tuple[int, int]:
    """(week, week-year) like moment: the US locale uses Sunday and 1 January, ISO uses Monday and 4 January."""
    def weeks_in(year: int) -> int:
        days = 366 if calendar.isleap(year) else 365
        return (days - _week_offset(year, first_weekday, doy) + _week_offset(year + 1, first_weekday, doy)) // 7
    day_of_year = moment.timetuple().tm_yday
    week = (day_of_year - _week_offset(moment.year, first_weekday, doy) - 1) // 7 + 1
    if week < 1:
        return week + weeks_in(moment.year - 1), moment.year - 1
    if week > weeks_in(moment.year):
        return week - weeks_in(moment.year), moment.year + 1
    return week, moment.year


def _offset(moment: datetime, separator: str) -> str:
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    sign = '-' if minutes < 0 else '+'
    return f'{sign}{abs(minutes) // 60:02d}{separator}{abs(minutes) % 60:02d}'


def _hour12(moment: datetime) -> int:
    return moment.hour % 12 or 12


_FIELDS: dict[str, Callable[[datetime], str]] = {
    'M': lambda m: str(m.month), 'Mo': lambda m: _ordinal(m.month), 'MM': lambda m: f'{m.month:02d}',
    'MMM': lambda m: calendar.month_abbr[m.month], 'MMMM': lambda m: calendar.month_name[m.month],
    'Q': lambda m: str((m.month - 1) // 3 + 1), 'Qo': lambda m: _ordinal((m.month - 1) // 3 + 1),
    'D': lambda m: str(m.day), 'Do': lambda m: _ordinal(m.day), 'DD': lambda m: f'{m.day:02d}',
    'DDD': lambda m: str(m.timetuple().tm_yday), 'DDDo': lambda m: _ordinal(m.timetuple().tm_yday),
    'DDDD': lambda m: f'{m.timetuple().tm_yday:03d}',
    'd': lambda m: str(m.isoweekday() % 7), 'do': lambda m: _ordinal(m.isoweekday() % 7),
    'dd': lambda m: _DAYS[m.weekday()][:2], 'ddd': lambda m: calendar.day_abbr[m.weekday()],
    'dddd': lambda m: _DAYS[m.weekday()], 'e': lambda m: str(m.isoweekday() % 7), 'E': lambda m: str(m.isoweekday()),
    'w': lambda m: str(_week_of_year(m, 0, 6)[0]), 'wo': lambda m: _ordinal(_week_of_year(m, 0, 6)[0]),
    'ww': lambda m: f'{_week_of_year(m, 0, 6)[0]:02d}', 'W': lambda m: str(_week_of_year(m, 1, 4)[0]),
    'Wo': lambda m: _ordinal(_week_of_year(m, 1, 4)[0]), 'WW': lambda m: f'{_week_of_year(m, 1, 4)[0]:02d}',
    'YY': lambda m: f'{m.year % 100:02d}', 'YYYY': lambda m: f'{m.year:04d}', 'YYYYY': lambda m: f'{m.year:05d}',
    'YYYYYY': lambda m: f'+{m.year:06d}', 'gg': lambda m: f'{_week_of_year(m, 0, 6)[1] % 100:02d}',
    'gggg': lambda m: f'{_week_of_year(m, 0, 6)[1]:04d}', 'ggggg': lambda m: f'{_week_of_year(m, 0, 6)[1]:05d}',
    'GG': lambda m: f'{_week_of_year(m, 1, 4)[1] % 100:02d}', 'GGGG': lambda m: f'{_week_of_year(m, 1, 4)[1]:04d}',
    'GGGGG': lambda m: f'{_week_of_year(m, 1, 4)[1]:05d}',
    'A': lambda m: 'AM' if m.hour < 12 else 'PM', 'a': lambda m: 'am' if m.hour < 12 else 'pm',
    'H': lambda m: str(m.hour), 'HH': lambda m: f'{m.hour:02d}', 'h': lambda m: str(_hour12(m)),
    'hh': lambda m: f'{_hour12(m):02d}', 'k': lambda m: str(m.hour or 24), 'kk': lambda m: f'{m.hour or 24:02d}',
    'm': lambda m: str(m.minute), 'mm': lambda m: f'{m.minute:02d}', 's': lambda m: str(m.second),
    'ss': lambda m: f'{m.second:02d}', 'hmm': lambda m: f'{_hour12(m)}{m.minute:02d}',
    'hmmss': lambda m: f'{_hour12(m)}{m.minute:02d}{m.second:02d}', 'Hmm': lambda m: f'{m.hour}{m.minute:02d}',
    'Hmmss': lambda m: f'{m.hour}{m.minute:02d}{m.second:02d}',
    'Z': lambda m: _offset(m, ':'), 'ZZ': lambda m: _offset(m, ''), 'z': lambda m: m.tzname() or '',
    'zz': lambda m: m.tzname() or '', 'X': lambda m: str(int(m.timestamp())),
    'x': lambda m: str(int(m.timestamp() * 1000)),
}


def format_moment(moment: datetime, pattern: str) -> str:
    """Format like moment.js's `format()` in the English locale; unknown characters pass through."""
    pattern = _LONG_TOKENS.sub(lambda t: t.group(0) if t.group(1) or t.group(2) else _LONG_FORMATS[t.group(3)],
                               pattern)

    def token(match: re.Match[str]) -> str:
        literal, escaped, name = match.groups()
        if literal:
            return literal[1:-1]
        if escaped:
            return name
        if name.startswith('S'):
            return f'{moment.microsecond:06d}000'[:len(name)]
        field = _FIELDS.get(name)
        return field(moment) if field else name

    return _TOKENS.sub(token, pattern)


_SINGLE = {'s': 'a few seconds', 'm': 'a minute', 'h': 'an hour', 'd': 'a day', 'M': 'a month', 'y': 'a year'}
_PLURAL = {'ss': 'seconds', 'mm': 'minutes', 'hh': 'hours', 'dd': 'days', 'MM': 'months', 'yy': 'years'}


def _round(value: float) -> int:
    """JavaScript's `Math.round` (halves go up), which moment uses."""
    return math.floor(value + 0.5)


def humanize(seconds: float, with_suffix: bool = False) -> str:
    """moment's `duration.humanize()`: "a few seconds", "3 minutes", "a day"…, with "in …"/"… ago" if asked."""
    span = abs(seconds)
    minutes, hours, days = _round(span / 60), _round(span / 3600), _round(span / 86400)
    months = span / 86400 * 4800 / 146097
    years = _round(months / 12)
    # (unit, amount, limit, limit included) in moment's order, with its default thresholds
    steps = [('s', _round(span), 44, True), ('ss', _round(span), 45, False), ('m', minutes, 1, True),
             ('mm', minutes, 45, False), ('h', hours, 1, True), ('hh', hours, 22, False), ('d', days, 1, True),
             ('dd', days, 26, False), ('M', _round(months), 1, True), ('MM', _round(months), 11, False),
             ('y', years, 1, True)]
    text = f'{years} years'
    for unit, amount, limit, included in steps:
        if amount < limit or (included and amount == limit):
            text = _SINGLE[unit] if unit in _SINGLE else f'{amount} {_PLURAL[unit]}'
            break
    if not with_suffix:
        return text
    return f'in {text}' if seconds > 0 else f'{text} ago'


_PARSE_FORMATS = ('%B %d, %Y %I:%M %p', '%B %d, %Y', '%b %d, %Y', '%m/%d/%Y', '%Y-%m-%d %H:%M', '%Y/%m/%d')


def _parse_moment(text: str, local: timezone) -> datetime | None:
    text = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _PARSE_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local)


def time_difference(first: str, second: str, now: datetime) -> str:
    """`{{timeDiff::a::b}}`: how far `a` is from `b`, "in 3 days" or "2 hours ago"; "Invalid date" if unreadable."""
    local = now.tzinfo if isinstance(now.tzinfo, timezone) else timezone(now.utcoffset() or timedelta())
    start, end = _parse_moment(first, local), _parse_moment(second, local)
    if start is None or end is None:
        return 'Invalid date'
    return humanize((start - end).total_seconds(), with_suffix=True)


def _utc_offset(now: datetime, offset: str) -> str:
    amount = int(offset)
    minutes = amount * 60 if abs(amount) < 16 else amount
    return format_moment(now.astimezone(timezone(timedelta(minutes=minutes))), 'LT')


_CLOCK_MACROS: list[tuple[re.Pattern[str], Callable[[re.Match[str], datetime, str], str]]] = [
    (re.compile(r'\{\{time\}\}', re.I), lambda _, now, __: format_moment(now, 'LT')),
    (re.compile(r'\{\{date\}\}', re.I), lambda _, now, __: format_moment(now, 'LL')),
    (re.compile(r'\{\{weekday\}\}', re.I), lambda _, now, __: format_moment(now, 'dddd')),
    (re.compile(r'\{\{isotime\}\}', re.I), lambda _, now, __: format_moment(now, 'HH:mm')),
    (re.compile(r'\{\{isodate\}\}', re.I), lambda _, now, __: format_moment(now, 'YYYY-MM-DD')),
    (re.compile(r'\{\{datetimeformat +([^}]*)\}\}', re.I), lambda match, now, _: format_moment(now, match.group(1))),
    (re.compile(r'\{\{idle_duration\}\}', re.I), lambda _, __, idle: idle),
    (re.compile(r'\{\{time_UTC([-+]\d+)\}\}', re.I), lambda match, now, _: _utc_offset(now, match.group(1))),
    (re.compile(r'\{\{timeDiff::(.*?)::(.*?)\}\}', re.I),
     lambda match, now, _: time_difference(match.group(1), match.group(2), now)),
]


def replace_clock_macros(text: str, now: datetime, idle_duration: str) -> str:
    """Expand the time macros in SillyTavern's order, reading the time of day from `now`'s own time zone."""
    for pattern, value in _CLOCK_MACROS:
        text = pattern.sub(lambda match, value=value: value(match, now, idle_duration), text)
    return text
