"""Dates typed by people: "yesterday", "last friday", "3 days ago", "2026-03-02", "May 2023"."""

from __future__ import annotations

import datetime as dt

from journal_me.memory.temporal import parse_temporal


class DateParseError(ValueError):
    pass


def parse_day(text: str, today: dt.date | None = None, *, end_of_period: bool = False) -> dt.date:
    """One calendar day from natural language; a period ("May 2023") gives its first day
    (or last, with ``end_of_period``). Raises :class:`DateParseError` with the input."""
    today = today or dt.date.today()
    raw = text.strip()
    if not raw:
        raise DateParseError("empty date")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    hint = parse_temporal(raw, today)
    if hint.has_range and not hint.text.strip(" ,."):
        day = (hint.before if end_of_period else hint.after) or hint.after or hint.before
        if day is not None:
            return day
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
    result: dt.date = parsed.date()
    return result
