"""Metric numbers in words: reports for the CLI, answers for the chat, "lately" for the profile.

Everything here reads the metric store (numbers as the user logged them), never text
snippets, and says which entries the numbers come from.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
import sqlite3
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from journal_me.life.metrics_stats import (
    MIN_PER_SIDE,
    Association,
    SeriesSummary,
    Trend,
    association,
    summarize,
    trend,
)
from journal_me.life.metrics_store import MetricInfo, MetricPoint, MetricStore, daily_values
from journal_me.llm.prompts import Citation

if TYPE_CHECKING:
    from journal_me.api import Journal

log = logging.getLogger(__name__)

__all__ = [
    "MetricAnswer",
    "MetricGrounding",
    "MetricReport",
    "Period",
    "answer_metric_question",
    "associations",
    "detect_metric_question",
    "lately_paragraph",
    "metric_grounding",
    "metric_report",
]

# words people use for a metric → its usual names in front matter
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sleep": ("sleep", "slept", "sleeping", "hours of sleep"),
    "mood": ("mood", "moods", "feeling", "felt"),
    "weight": ("weight", "weigh", "weighed"),
    "run": ("run", "runs", "running", "ran"),
    "exercise": ("exercise", "exercised", "workout", "workouts", "training"),
    "energy": ("energy",),
    "steps": ("steps", "walked"),
    "bp": ("bp", "blood pressure"),
    "stress": ("stress", "stressed"),
}
_ASK_RE = re.compile(
    r"\b(how|what|average|avg|mean|trend|been|lately|recently|track|tracked|log|logged|stats?|numbers?|"
    r"much|many|compare|better|worse|improv\w*)\b",
    re.I,
)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None
    label: str


@dataclass(frozen=True)
class MetricReport:
    name: str
    unit: str | None
    summary: SeriesSummary | None
    trend: Trend
    daily: list[tuple[dt.date, float, list[MetricPoint]]]
    text_points: list[MetricPoint]

    def to_json(self) -> dict[str, object]:
        s = self.summary
        return {
            "name": self.name,
            "unit": self.unit,
            "n_days": s.n if s else 0,
            "first": s.first.isoformat() if s else None,
            "last": s.last.isoformat() if s else None,
            "min": s.min if s else None,
            "median": s.median if s else None,
            "max": s.max if s else None,
            "mean": round(s.mean, 4) if s else None,
            "trend": {
                "slope_per_week": self.trend.slope_per_week,
                "recent_mean": self.trend.recent_mean,
                "earlier_mean": self.trend.earlier_mean,
                "recent_n": self.trend.recent_n,
                "earlier_n": self.trend.earlier_n,
                "recent_from": self.trend.split.isoformat() if self.trend.split else None,
            },
            "points": [
                {
                    "date": d.isoformat(),
                    "value": v,
                    "sources": [
                        {"path": p.rel, "line": p.line, "text": p.text, "value2": p.value2, "unit": p.unit}
                        for p in pts
                    ],
                }
                for d, v, pts in self.daily
            ],
            "text": [
                {"date": p.day.isoformat(), "text": p.text, "path": p.rel, "line": p.line}
                for p in self.text_points
            ],
        }


def metric_report(
    store: MetricStore,
    name: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    include_private: bool = True,
) -> MetricReport:
    points = store.series(name, include_private=include_private, start=start, end=end)
    daily = daily_values(points)
    pairs = [(d, v) for d, v, _ in daily]
    units = [p.unit for p in points if p.value is not None and p.unit]
    unit = max(set(units), key=units.count) if units else None
    return MetricReport(
        name=name,
        unit=unit,
        summary=summarize(pairs),
        trend=trend(pairs),
        daily=daily,
        text_points=[p for p in points if p.value is None],
    )


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def report_lines(report: MetricReport) -> list[str]:
    """The CLI's plain-text view of one series."""
    s = report.summary
    u = f" {report.unit}" if report.unit else ""
    if s is None:
        if report.text_points:
            return [
                f"{report.name}: no numbers, {len(report.text_points)} text values (latest: "
                f"{report.text_points[-1].text!r} on {report.text_points[-1].day.isoformat()})"
            ]
        return [f"{report.name}: no values"]
    lines = [
        f"{report.name}: {s.n} days with a value, {s.first.isoformat()} to {s.last.isoformat()}",
        f"  min {_fmt(s.min)}{u} · median {_fmt(s.median)}{u} · max {_fmt(s.max)}{u} · mean {s.mean:.2f}{u}",
        f"  {report.trend.words(report.unit)}",
    ]
    pairs = [p for _d, _v, pts in report.daily for p in pts if p.value2 is not None]
    if pairs:
        last = pairs[-1]
        lines.append(
            f"  two numbers each (e.g. {last.text} on {last.day.isoformat()}): the figures are the first"
        )
    if report.text_points:
        lines.append(f"  plus {len(report.text_points)} text values (e.g. {report.text_points[-1].text!r})")
    return lines


# -- the chat: "how has my sleep been this month?" --------------------------------------------
@dataclass(frozen=True)
class MetricAnswer:
    """The numbers for a metric question, the block that says them, and where they come from."""

    metric: str
    period: Period
    text: str
    sources: list[MetricPoint] = field(default_factory=list)


def _name_for(question: str, metrics: Sequence[MetricInfo]) -> str | None:
    q = question.lower()
    names = {m.name for m in metrics}
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", q):
            return name
    for canonical, words in SYNONYMS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", q) for w in words):
            for candidate in (canonical, *words):
                if candidate in names:
                    return candidate
    return None


def _month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    start = dt.date(year, month, 1)
    return Period(start, dt.date(year, month, last), start.strftime("%B %Y"))


def question_period(question: str, today: dt.date) -> Period | None:
    """The period a question names (``None``: it names none)."""
    q = question.lower()
    if re.search(r"\bthis month\b", q):
        return Period(today.replace(day=1), today, "this month")
    if re.search(r"\blast month\b", q):
        prev = today.replace(day=1) - dt.timedelta(days=1)
        return _month_period(prev.year, prev.month)
    if re.search(r"\bthis week\b", q):
        return Period(today - dt.timedelta(days=today.weekday()), today, "this week")
    if re.search(r"\blast week\b", q):
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return Period(monday, monday + dt.timedelta(days=6), "last week")
    if re.search(r"\bthis year\b", q):
        return Period(dt.date(today.year, 1, 1), today, "this year")
    m = re.search(r"\b(?:last|past)\s+(\d{1,3})\s+(day|week|month)s?\b", q)
    if m:
        n = int(m.group(1))
        days = n * {"day": 1, "week": 7, "month": 30}[m.group(2)]
        return Period(today - dt.timedelta(days=days - 1), today, f"the last {n} {m.group(2)}s")
    if re.search(r"\b(lately|recently|these days)\b", q):
        return Period(today - dt.timedelta(days=27), today, "the last four weeks")
    m = re.search(r"\b(?:in|during|for)\s+([a-z]{3,9})(?:\s+(\d{4}))?\b", q)
    if m and m.group(1) in _MONTHS:
        month = _MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else (today.year if month <= today.month else today.year - 1)
        return _month_period(year, month)
    return None


def detect_metric_question(
    question: str, metrics: Sequence[MetricInfo], today: dt.date
) -> tuple[str, Period] | None:
    """(metric, period) when ``question`` asks about a tracked metric; None otherwise."""
    if not _ASK_RE.search(question):
        return None
    name = _name_for(question, metrics)
    if name is None:
        return None
    period = question_period(question, today) or Period(
        today - dt.timedelta(days=29), today, "the last 30 days"
    )
    return name, period


def _describe(report: MetricReport, label: str) -> str:
    s = report.summary
    assert s is not None
    u = f" {report.unit}" if report.unit else ""
    low = min(report.daily, key=lambda t: t[1])
    high = max(report.daily, key=lambda t: t[1])
    text = (
        f"{report.name.capitalize()} in {label} ({s.first.isoformat()} to {s.last.isoformat()}): "
        f"{s.n} days logged, average {s.mean:.1f}{u} (median {_fmt(s.median)}, "
        f"lowest {_fmt(low[1])} on {low[0].isoformat()}, highest {_fmt(high[1])} on {high[0].isoformat()})."
    )
    t = report.trend
    if t.slope_per_week is not None and s.n >= 4 and abs(t.slope_per_week) >= 0.005:
        text += f" Trend: {t.slope_per_week:+.2f}{u} per week."
    return text


def answer_metric_question(
    store: MetricStore,
    question: str,
    today: dt.date,
    *,
    include_private: bool = True,
    as_of: dt.date | None = None,
) -> MetricAnswer | None:
    """The numbers behind a metric question, from the store; None when it is not one."""
    metrics = store.metrics(include_private=include_private, end=as_of)
    found = detect_metric_question(question, metrics, as_of or today)
    if found is None:
        return None
    name, period = found
    end = min(period.end, as_of) if period.end and as_of else (period.end or as_of)
    report = metric_report(store, name, start=period.start, end=end, include_private=include_private)
    parts: list[str] = []
    sources: list[MetricPoint] = []
    if report.summary is not None:
        parts.append(_describe(report, period.label))
        sources = [pts[0] for _d, _v, pts in report.daily]
        # compared with the same length before it
        if period.start is not None and end is not None:
            span = (end - period.start).days + 1
            before = metric_report(
                store,
                name,
                start=period.start - dt.timedelta(days=span),
                end=period.start - dt.timedelta(days=1),
                include_private=include_private,
            )
            if before.summary is not None and before.summary.n >= 2:
                u = f" {report.unit}" if report.unit else ""
                parts.append(
                    f"The {span} days before averaged {before.summary.mean:.1f}{u} "
                    f"over {before.summary.n} days."
                )
    else:
        everything = metric_report(store, name, end=as_of, include_private=include_private)
        if everything.summary is None:
            return None
        latest = everything.daily[-1]
        recent = [t for t in everything.daily if t[0] > latest[0] - dt.timedelta(days=30)]
        recent_report = MetricReport(
            name,
            everything.unit,
            summarize([(d, v) for d, v, _ in recent]),
            trend([(d, v) for d, v, _ in recent]),
            recent,
            [],
        )
        parts.append(
            f"No {name} values in {period.label}; the last were logged up to {latest[0].isoformat()}."
        )
        parts.append(_describe(recent_report, "the last 30 days with values"))
        sources = [pts[0] for _d, _v, pts in recent]
    return MetricAnswer(metric=name, period=period, text=" ".join(parts), sources=sources)


# -- the profile's "lately" -----------------------------------------------------------------
def lately_paragraph(
    store: MetricStore, today: dt.date | None = None, *, weeks: int = 4, include_private: bool = False
) -> str:
    """A short status line per metric: the last ``weeks`` weeks (ending at the last value)
    vs the weeks before. Public values only by default: the profile reaches bridge prompts."""
    sentences: list[str] = []
    metrics = sorted(store.metrics(include_private=include_private), key=lambda m: (-m.n, m.name))
    for info in metrics[:4]:
        report = metric_report(store, info.name, end=today, include_private=include_private)
        if report.summary is None or report.summary.n < 4:
            continue
        end = report.summary.last
        split = end - dt.timedelta(days=7 * weeks - 1)
        recent = [v for d, v, _ in report.daily if d >= split]
        earlier = [v for d, v, _ in report.daily if split - dt.timedelta(days=7 * weeks * 2) <= d < split]
        if len(recent) < 2 or len(earlier) < 2:
            continue
        r, e = statistics.fmean(recent), statistics.fmean(earlier)
        u = f" {report.unit}" if report.unit else ""
        how = "steady" if abs(r - e) < 0.05 * max(abs(e), 1e-9) else ("up" if r > e else "down")
        sentences.append(
            f"{info.name} {how}: {r:.1f}{u} on average in the {weeks} weeks to {end.strftime('%d %b %Y')} "
            f"vs {e:.1f}{u} the {weeks * 2} weeks before"
        )
    if not sentences:
        return ""
    newest = max(m.last for m in metrics)
    stale = (today or dt.date.today()) - newest > dt.timedelta(days=60)
    head = f"Last tracked (to {newest.strftime('%d %b %Y')}): " if stale else "Lately (from what I log): "
    return head + "; ".join(sentences) + "."


# -- the chat's hook ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricGrounding:
    """A metric answer ready for the chat: the block (with [n] markers) and its citations."""

    text: str
    citations: list[Citation]


def metric_grounding(
    journal: object, question: str, *, today: dt.date, as_of: dt.date | None = None, first_n: int = 1
) -> MetricGrounding | None:
    """For the owner's chat: the numbers behind a metric question, cited to entries (numbered
    from ``first_n``); None when the question is not about a tracked metric. Only a real
    :class:`~journal_me.api.Journal` is read (a fenced view given to a peer gets nothing:
    metric values of private entries are the owner's only)."""
    from journal_me.api import Journal
    from journal_me.life.metrics_store import refresh

    if not isinstance(journal, Journal):
        return None
    try:
        store = refresh(journal)
        found = answer_metric_question(store, question, today, as_of=as_of, include_private=True)
    except (OSError, sqlite3.Error) as exc:  # the chat answers anyway, from the entries
        log.warning("metric answer skipped: %s", exc)
        return None
    if found is None or not found.sources:
        return None
    titles = {s.rel: s.title for s in journal.entries()}
    # cite the lowest, the highest and the latest day (the numbers the block names)
    by_value = [p for p in found.sources if p.value is not None]
    picks: list[MetricPoint] = []
    for p in (
        min(by_value, key=lambda p: p.value or 0.0),
        max(by_value, key=lambda p: p.value or 0.0),
        by_value[-1],
    ):
        if p not in picks:
            picks.append(p)
    picks.sort(key=lambda p: (p.day, p.rel))
    citations = [
        Citation(first_n + i, p.rel, p.day, titles.get(p.rel) or p.day.isoformat(), p.line)
        for i, p in enumerate(picks)
    ]
    marks = ", ".join(f"[{c.n}] {c.date.isoformat()}" for c in citations)
    days = len({p.day for p in found.sources})
    text = f"{found.text} (From what I logged in {days} entries: {marks}.)"
    return MetricGrounding(text=text, citations=citations)


# -- "what goes with it" --------------------------------------------------------------------------
ASSOCIATION_KINDS = ("person", "pet", "place", "org", "topic", "tag")


def associations(
    journal: Journal,
    store: MetricStore,
    metric: str,
    *,
    include_private: bool = True,
    candidates: int = 40,
    min_per_side: int = MIN_PER_SIDE,
) -> list[Association]:
    """The metric's mean on days whose entries mention each of the journal's most frequent
    people/places/tags vs the other days with a value (Welch 95% interval), where both sides
    have at least ``min_per_side`` days; clearest and largest differences first. These are
    associations in the user's own entries, never causes."""
    report = metric_report(store, metric, include_private=include_private)
    daily = [(d, v) for d, v, _ in report.daily]
    if len(daily) < 2 * min_per_side:
        return []
    days = {d for d, _ in daily}
    first, last = min(days), max(days)
    out: list[Association] = []
    entities = [e for e in journal.entities(include_private=include_private) if e.type in ASSOCIATION_KINDS]
    # only what comes up while the metric is tracked
    entities = [
        e for e in entities if e.first is None or e.last is None or (e.first <= last and e.last >= first)
    ]
    for info in entities[:candidates]:
        with_days = {p.date for p in journal.timeline(info.name, include_private=include_private)} & days
        found = association(daily, with_days, info.name, min_per_side)
        if found is not None:
            out.append(found)
    out.sort(key=lambda a: (not a.clear, -abs(a.diff), a.label))
    return out
