"""Temporal phrases in questions ("last summer", "in May 2023", "before I moved").

Questions are natural language. A phrase that names a period becomes a date filter; a phrase
that names an event ("before I moved", "since the wedding") becomes an *anchor*: the caller
searches the event, takes its date and filters before/after it. The phrase is removed from
the text that is searched, so "May" does not have to appear in the passage.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i in range(1, 13) for name in (calendar.month_name[i], calendar.month_abbr[i])}
MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}
NUM_WORDS = {  # counts written as words ("two weeks ago"); dates.py reads the same table
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
}


@dataclass(frozen=True)
class TimeHint:
    after: dt.date | None = None  # inclusive
    before: dt.date | None = None  # inclusive
    anchor: str | None = None  # an event to search for, e.g. "moved"
    anchor_side: str | None = None  # "before" | "after"
    text: str = ""  # the question with the temporal phrase removed
    phrase: str | None = None
    implicit_year: bool = False  # "in November": the year was guessed, earlier ones may fit

    def shifted(self, years: int) -> TimeHint:
        """The same period ``years`` earlier (for an implicit year that found nothing)."""

        def back(d: dt.date | None) -> dt.date | None:
            if d is None:
                return None
            try:
                return d.replace(year=d.year - years)
            except ValueError:  # 29 February
                return d.replace(year=d.year - years, day=28)

        return TimeHint(
            back(self.after),
            back(self.before),
            self.anchor,
            self.anchor_side,
            self.text,
            self.phrase,
            self.implicit_year,
        )

    @property
    def has_range(self) -> bool:
        return self.after is not None or self.before is not None


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _latest_month(month: int, today: dt.date, strictly_past: bool = False) -> int:
    """The year of the most recent ``month`` not after today."""
    year = today.year
    if month > today.month or (strictly_past and month == today.month):
        year -= 1
    return year


def season_range(season: str, year: int) -> tuple[dt.date, dt.date]:
    start_m, end_m = SEASONS[season]
    if season == "winter":  # winter of YEAR = Dec YEAR .. Feb YEAR+1
        return dt.date(year, 12, 1), month_range(year + 1, 2)[1]
    return dt.date(year, start_m, 1), month_range(year, end_m)[1]


def _season_year(season: str, today: dt.date, which: str) -> int:
    start, end = season_range(season, today.year)
    if season == "winter" and today.month <= 2:
        start, end = season_range(season, today.year - 1)
    base = start.year
    if which == "this":
        return base
    # "last": the most recent season that has ended (or started) before today
    if end < today:
        return base
    return base - 1


def _clean(text: str, span: tuple[int, int]) -> str:
    return re.sub(r"\s+", " ", (text[: span[0]] + " " + text[span[1] :])).strip()


# (kind, pattern), tried in order, all case-insensitive; compiled on first use (below)
_PATTERN_SOURCES: list[tuple[str, str]] = [
    ("iso", r"\b(?:on\s+)?(\d{4})-(\d{2})-(\d{2})\b"),
    (
        "between_months",
        (rf"\bbetween\s+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\s+and\s+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b"),
    ),
    (
        "day_month",
        (
            rf"\b(?:on\s+)?(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b"
        ),
    ),
    (
        "month_day",
        (
            rf"\b(?:on\s+)?({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b(?!\s*(?:km|k\b|miles|minutes|mins|hours|pm|am|:))"
        ),
    ),
    (
        "rel_side_month",
        rf"\b(before|after|since|until|till|by)\s+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b",
    ),
    (
        "month",
        (
            rf"\b(?:(?:in|during|over|throughout|back\s+in|early|late|mid|the\s+end\s+of|the\s+start\s+of|last|this)\s+)*({_MONTH_RE})\.?(?:\s+(?:of\s+)?(\d{{4}}))?\b(?!\s+\d)"
        ),
    ),
    (
        "season",
        (
            r"\b(?:(?:in|during|over|throughout)\s+)?(?:the\s+)?(last|this|past)?\s*(spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(\d{4}))?(\s+before\s+last)?\b"
        ),
    ),
    (
        "christmas",
        (r"\b(?:(?:at|over|around|for|during)\s+)?(?:last\s+|this\s+)?christmas(?:\s+(\d{4}))?\b"),
    ),
    ("new_year", r"\b(?:(?:at|over|on)\s+)?new\s+year(?:'s)?(?:\s+eve)?(?:\s+(\d{4}))?\b"),
    ("rel_side_year", r"\b(before|after|since|until)\s+((?:19|20)\d{2})\b"),
    ("year", r"\b(?:(?:in|during|throughout|back\s+in)\s+)?((?:19|20)\d{2})\b"),
    (
        "ago",
        (
            r"\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few|\d+)"
            r"\s+(day|week|month|year)s?\s+ago\b"
        ),
    ),
    (
        "relative",
        r"\b(yesterday|today|tonight|(?:last|this|past)\s+(?:week|month|year|weekend))\b",
    ),
    (
        "event",
        (
            r"\b(before|after|since|until|till)\s+((?:i|we)\s+(?:\w+\s+){0,1}\w+(?:\s+(?!and\b|but\b|or\b)[a-z]+){0,3}|(?:the|my|our)\s+(?:\w+\s+){0,2}\w+)"
        ),
    ),
]


# words (or parts of words) one of the patterns needs: a question without any of them and
# without a digit names no period, and its search compiles none of the patterns (~8 ms)
_TRIGGERS = (*MONTHS, *SEASONS, "christmas", "year", "ago", "yesterday", "today", "tonight", "week")
_TRIGGERS += ("month", "before", "after", "since", "until", "till")


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [(kind, re.compile(source, re.I)) for kind, source in _PATTERN_SOURCES]


def _may_name_a_period(question: str) -> bool:
    """False only when no pattern can match ``question`` (an ASCII question with no digit and
    none of the patterns' words); anything else is tried."""
    if not question.isascii():
        return True  # (case folding beyond ASCII: let the patterns decide)
    text = question.lower()
    return any(ch.isdigit() for ch in text) or any(word in text for word in _TRIGGERS)


def parse_temporal(question: str, today: dt.date | None = None) -> TimeHint:
    """Find the first temporal phrase in ``question``; return the range or event anchor."""
    today = today or dt.date.today()
    if not _may_name_a_period(question):
        return TimeHint(text=question)
    for kind, pattern in _patterns():
        m = pattern.search(question)
        if not m:
            continue
        hint = _interpret(kind, m, today)
        if hint is None:
            continue
        after, before, anchor, side = hint
        implicit = kind in {"month", "day_month", "month_day", "season", "christmas"} and not re.search(
            r"\b(?:19|20)\d{2}\b|\b(?:last|this|past)\b", m.group(0), re.I
        )
        return TimeHint(
            after=after,
            before=before,
            anchor=anchor,
            anchor_side=side,
            text=_clean(question, m.span()),
            phrase=m.group(0).strip(),
            implicit_year=implicit,
        )
    return TimeHint(text=question)


def _year_or(value: str | None, default: int) -> int:
    return int(value) if value else default


def _interpret(
    kind: str, m: re.Match[str], today: dt.date
) -> tuple[dt.date | None, dt.date | None, str | None, str | None] | None:
    g = m.groups()
    try:
        if kind == "iso":
            day = dt.date(int(g[0]), int(g[1]), int(g[2]))
            return day, day, None, None
        if kind == "between_months":
            m1, m2 = MONTHS[g[0].lower()], MONTHS[g[2].lower()]
            y2 = _year_or(g[3], _latest_month(m2, today))
            y1 = _year_or(g[1], y2 if m1 <= m2 else y2 - 1)
            return month_range(y1, m1)[0], month_range(y2, m2)[1], None, None
        if kind == "day_month":
            month = MONTHS[g[1].lower()]
            day_n = int(g[0])
            year = _year_or(g[2], _latest_month(month, today))
            day = dt.date(year, month, day_n)
            if not g[2] and day > today:
                day = dt.date(year - 1, month, day_n)
            return day, day, None, None
        if kind == "month_day":
            month = MONTHS[g[0].lower()]
            day_n = int(g[1])
            if day_n > 31:
                return None
            year = _year_or(g[2], _latest_month(month, today))
            day = dt.date(year, month, day_n)
            return day, day, None, None
        if kind == "rel_side_month":
            month = MONTHS[g[1].lower()]
            year = _year_or(g[2], _latest_month(month, today))
            start, end = month_range(year, month)
            side = g[0].lower()
            if side in {"before", "until", "till", "by"}:
                return None, start - dt.timedelta(days=1) if side == "before" else end, None, None
            return (end + dt.timedelta(days=1) if side == "after" else start), None, None, None
        if kind == "month":
            word = m.group(1).lower()
            if (
                word == "may"
                and not g[1]
                and not re.search(r"\b(in|during|last|this|early|late|mid)\s+may\b", m.group(0), re.I)
            ):
                return None  # the verb "may"
            if word in {"mar", "sun", "jan", "dec", "oct"} and not g[1]:
                return None
            month = MONTHS[word]
            strictly = bool(re.match(r"last\b", m.group(0).strip(), re.I))
            year = _year_or(g[1], _latest_month(month, today, strictly_past=strictly))
            start, end = month_range(year, month)
            return start, end, None, None
        if kind == "season":
            which = (g[0] or "").lower()
            season = g[1].lower()
            if g[2]:
                year = int(g[2])
            elif which in {"last", "past"}:
                year = _season_year(season, today, "last")
            elif which == "this":
                year = _season_year(season, today, "this")
            else:
                year = _season_year(season, today, "last")
            if g[3]:  # "the summer before last"
                year = _season_year(season, today, "last") - 1
            start, end = season_range(season, year)
            return start, end, None, None
        if kind == "christmas":
            year = (
                int(g[0])
                if g[0]
                else (today.year if today >= dt.date(today.year, 12, 20) else today.year - 1)
            )
            return dt.date(year, 12, 18), dt.date(year, 12, 31), None, None
        if kind == "new_year":
            year = int(g[0]) if g[0] else today.year
            return dt.date(year - 1, 12, 28), dt.date(year, 1, 7), None, None
        if kind == "rel_side_year":
            year = int(g[1])
            side = g[0].lower()
            if side in {"before"}:
                return None, dt.date(year - 1, 12, 31), None, None
            if side == "until":
                return None, dt.date(year, 12, 31), None, None
            if side == "since":
                return dt.date(year, 1, 1), None, None, None
            return dt.date(year + 1, 1, 1), None, None, None
        if kind == "year":
            year = int(g[0])
            if not 1900 <= year <= today.year + 1:
                return None
            return dt.date(year, 1, 1), dt.date(year, 12, 31), None, None
        if kind == "ago":
            raw = g[0].lower()
            n = int(raw) if raw.isdigit() else NUM_WORDS.get(raw, 1)
            unit = g[1].lower()
            days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
            centre = today - dt.timedelta(days=days)
            slack = {"day": 1, "week": 4, "month": 15, "year": 120}[unit]
            return centre - dt.timedelta(days=slack), centre + dt.timedelta(days=slack), None, None
        if kind == "relative":
            word = " ".join(g[0].lower().split())
            if word in {"today", "tonight"}:
                return today, today, None, None
            if word == "yesterday":
                y = today - dt.timedelta(days=1)
                return y, y, None, None
            which, unit = word.split()
            if unit == "weekend":
                sat = today - dt.timedelta(days=(today.weekday() - 5) % 7)
                if which in {"last", "past"} and sat >= today - dt.timedelta(days=1):
                    sat -= dt.timedelta(days=7)
                return sat, sat + dt.timedelta(days=1), None, None
            if unit == "week":
                monday = today - dt.timedelta(days=today.weekday())
                if which == "this":
                    return monday, today, None, None
                if which == "past":
                    return today - dt.timedelta(days=7), today, None, None
                return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1), None, None
            if unit == "month":
                if which == "this":
                    return dt.date(today.year, today.month, 1), today, None, None
                if which == "past":
                    return today - dt.timedelta(days=30), today, None, None
                prev = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
                return month_range(prev.year, prev.month)[0], prev, None, None
            if unit == "year":
                if which == "this":
                    return dt.date(today.year, 1, 1), today, None, None
                if which == "past":
                    return today - dt.timedelta(days=365), today, None, None
                return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), None, None
        if kind == "event":
            side = g[0].lower()
            event = g[1].strip()
            event = re.sub(r"^(?:i|we|the|my|our)\s+", "", event, flags=re.I)
            if not event:
                return None
            return None, None, event, ("before" if side in {"before", "until", "till"} else "after")
    except ValueError:
        return None
    return None
