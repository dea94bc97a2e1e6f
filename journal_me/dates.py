"""Dates typed by people: "yesterday", "last friday", "3 days ago", "2026-03-02", "May 2023".

A day asked for is the exact day: "2 days ago" on 3 December is 1 December, never the start
of a search window. Relative forms are computed here; named periods ("May 2023", "last
summer") give their first day (or last, with ``end_of_period``); anything else goes to
``dateparser``.

Numeric dates such as ``10/11/2026`` are ambiguous: they are read in the configured
``date_order`` (``DMY``, ``MDY`` or ``YMD``), by default the locale's. A reading taken from
the default on an ambiguous date comes with a note saying which reading it was.
"""

from __future__ import annotations

import calendar
import datetime as dt
import locale
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from journal_me.memory.temporal import NUM_WORDS, parse_temporal

DATE_ORDERS = ("DMY", "MDY", "YMD")


class DateParseError(ValueError):
    pass


@dataclass(frozen=True)
class DayReading:
    day: dt.date
    note: str | None = None  # how an ambiguous input was read, for the user


_settings: dict[str, object] = {"order": None, "sink": None}


def configure(date_order: str | None = None, note_sink: Callable[[str], None] | None = None) -> None:
    """Set the process-wide date order (from the config) and where reading notes go (the CLI
    prints them on stderr; the TUI shows them)."""
    if date_order is not None and date_order.upper() not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}, got {date_order!r}")
    _settings["order"] = date_order.upper() if date_order else None
    _settings["sink"] = note_sink


@lru_cache(maxsize=1)
def locale_date_order() -> str:
    """The order of day, month and year in the user's locale (``MDY`` when it cannot be read:
    the C locale's own order)."""
    try:
        saved = locale.setlocale(locale.LC_TIME)
        try:
            locale.setlocale(locale.LC_TIME, "")
            fmt = locale.nl_langinfo(locale.D_FMT)
        finally:
            locale.setlocale(locale.LC_TIME, saved)
    except (locale.Error, AttributeError, ValueError):
        return "MDY"
    positions = {}
    for letter, codes in (("D", "de"), ("M", "mbB"), ("Y", "yYCG")):
        found = [fmt.find(f"%{c}") for c in codes if f"%{c}" in fmt]
        if not found:
            return "MDY"
        positions[letter] = min(found)
    order = "".join(sorted(positions, key=lambda k: positions[k]))
    return order if order in DATE_ORDERS else "MDY"


# -- exact relative days ----------------------------------------------------------------------
_NUM = r"(?P<n>\d{1,4}|" + "|".join(sorted((re.escape(k) for k in NUM_WORDS), key=len, reverse=True)) + ")"
_UNIT = r"(?P<unit>day|week|fortnight|month|year)s?"
_AGO = re.compile(rf"^{_NUM}\s+{_UNIT}\s+(?:ago|back|before)$")
_AHEAD = (
    re.compile(rf"^in\s+{_NUM}\s+{_UNIT}$"),
    re.compile(rf"^{_NUM}\s+{_UNIT}\s+(?:from\s+(?:now|today)|later|hence)$"),
)
_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
_WEEKDAY = re.compile(
    r"^(?:(?P<which>last|past|previous|next|coming|this)\s+)?(?P<wd>"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")\.?$"
)
_FIXED = {
    "today": 0,
    "now": 0,
    "tonight": 0,
    "this morning": 0,
    "this evening": 0,
    "yesterday": -1,
    "last night": -1,
    "tomorrow": 1,
    "day before yesterday": -2,
    "the day before yesterday": -2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clipped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise DateParseError(f"{year} is out of range")
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _count(text: str) -> int:
    return int(text) if text.isdigit() else NUM_WORDS[text]


def _shift(today: dt.date, n: int, unit: str) -> dt.date:
    try:
        if unit == "day":
            return today + dt.timedelta(days=n)
        if unit == "week":
            return today + dt.timedelta(weeks=n)
        if unit == "fortnight":
            return today + dt.timedelta(weeks=2 * n)
        if unit == "month":
            return add_months(today, n)
        return add_months(today, 12 * n)
    except OverflowError as exc:
        raise DateParseError(f"{n} {unit}s is out of range") from exc


def relative_day(text: str, today: dt.date) -> dt.date | None:
    """The exact day a relative phrase names, or None when ``text`` is not one."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    if t in _FIXED:
        return today + dt.timedelta(days=_FIXED[t])
    if m := _AGO.match(t):
        return _shift(today, -_count(m.group("n")), m.group("unit"))
    for pattern in _AHEAD:
        if m := pattern.match(t):
            return _shift(today, _count(m.group("n")), m.group("unit"))
    if m := _WEEKDAY.match(t):
        wd = _WEEKDAYS[m.group("wd")]
        which = m.group("which")
        if which in {"next", "coming"}:
            return today + dt.timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
        if which == "this":
            return today + dt.timedelta(days=wd - today.weekday())  # in this Monday-first week
        if which in {"last", "past", "previous"}:
            return today - dt.timedelta(days=(today.weekday() - wd - 1) % 7 + 1)
        # a bare weekday in a journal means the latest one: today, or the one before
        return today - dt.timedelta(days=(today.weekday() - wd) % 7)
    return None


# -- numeric dates ----------------------------------------------------------------------------
_NUMERIC = re.compile(r"^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})$")


def _numeric_day(text: str, date_order: str | None) -> DayReading | None:
    m = _NUMERIC.match(text.strip())
    if not m:
        return None
    a, b, c = m.group(1), m.group(3), m.group(4)
    if len(a) == 4:  # 2026/10/11 is always year first
        try:
            return DayReading(dt.date(int(a), int(b), int(c)))
        except ValueError as exc:
            raise DateParseError(f"{text!r} is not a date: {exc}") from exc
    if len(c) not in (2, 4):
        return None
    year = int(c) + (2000 if len(c) == 2 else 0)
    order = date_order or locale_date_order()
    if order == "YMD" and len(a) != 2:
        order = "MDY" if locale_date_order() == "YMD" else locale_date_order()
    readings: dict[str, dt.date] = {}
    if order == "YMD" and len(a) == 2:  # 26/10/11 read year first
        try:
            return DayReading(dt.date(2000 + int(a), int(b), int(c)))
        except ValueError as exc:
            raise DateParseError(f"{text!r} is not a date: {exc}") from exc
    for name, (d, mo) in (("DMY", (int(a), int(b))), ("MDY", (int(b), int(a)))):
        try:
            readings[name] = dt.date(year, mo, d)
        except ValueError:
            continue
    if not readings:
        raise DateParseError(f"{text!r} is not a date (neither day/month nor month/day)")
    preferred = order if order in readings else next(iter(readings))
    day = readings[preferred]
    note = None
    if len(readings) == 2 and readings["DMY"] != readings["MDY"] and date_order is None:
        first = "day" if preferred == "DMY" else "month"
        other = "MDY" if preferred == "DMY" else "DMY"
        note = (
            f"read {text.strip()!r} as {day:%-d %B %Y} ({first} first, from your locale); "
            f'set date_order = "{other}" in the config for the other reading'
        )
    return DayReading(day, note)


def read_day(
    text: str,
    today: dt.date | None = None,
    *,
    end_of_period: bool = False,
    date_order: str | None = None,
) -> DayReading:
    """One calendar day from natural language, with a note when an ambiguous numeric date was
    read in the default order. Raises :class:`DateParseError` naming the input."""
    today = today or dt.date.today()
    raw = text.strip()
    if not raw:
        raise DateParseError("empty date")
    try:
        return DayReading(dt.date.fromisoformat(raw))
    except ValueError:
        pass
    exact = relative_day(raw, today)
    if exact is not None:
        return DayReading(exact)
    explicit = date_order or _settings["order"]
    numeric = _numeric_day(raw, explicit if isinstance(explicit, str) else None)
    if numeric is not None:
        return numeric

    hint = parse_temporal(raw, today)
    if hint.has_range and not hint.text.strip(" ,."):
        day = (hint.before if end_of_period else hint.after) or hint.after or hint.before
        if day is not None:
            return DayReading(day)
    import dateparser  # slow to import; only needed here

    parsed = dateparser.parse(
        raw,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise DateParseError(
            f"cannot understand the date {text!r} (try 2026-03-02, 'yesterday', 'last friday')"
        )
    return DayReading(parsed.date())


def parse_day(
    text: str,
    today: dt.date | None = None,
    *,
    end_of_period: bool = False,
    date_order: str | None = None,
) -> dt.date:
    """One calendar day from natural language; a period ("May 2023") gives its first day
    (or last, with ``end_of_period``). Raises :class:`DateParseError` with the input. A note
    about an ambiguous reading goes to the sink set by :func:`configure`."""
    reading = read_day(text, today, end_of_period=end_of_period, date_order=date_order)
    sink = _settings["sink"]
    if reading.note and callable(sink):
        sink(reading.note)
    return reading.day
