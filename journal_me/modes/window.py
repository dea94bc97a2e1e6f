"""An empty date window, said out loud.

"What did I do with Sam last month?" when last month has no entries: the retriever relaxes
its date filter and finds other months, which an answer would present as last month. Here
the asked period is checked against the entries themselves, and the answer says so first:
"No entries in November 2026; nearest: 2026-10-20 — Sam's birthday".
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from journal_me.api import EntrySummary
from journal_me.llm.prompts import neutralise
from journal_me.memory.retrieval import QueryPlan


@dataclass(frozen=True)
class EmptyWindow:
    """The question's period, how many entries it holds, and the nearest entry outside it."""

    label: str  # "November 2026"
    after: dt.date | None
    before: dt.date | None
    entries: int  # entries inside the period (0: none at all; >0: none matched)
    nearest: EntrySummary | None
    instead: str | None = None  # "November 2025": the same month of an earlier year answered

    def notice(self) -> str:
        """ "No entries in November 2026; nearest: 2026-10-28 — Curry night"."""
        if self.instead:
            what = "Nothing in my entries" if self.entries else "No entries"
            return f"{what} in {self.label}; these memories are from {self.instead}."
        if self.entries:
            n = self.entries
            return (
                f"Nothing in my {n} entr{'y' if n == 1 else 'ies'} from {self.label} matches that; "
                "these memories are from other times."
            )
        if self.nearest is None:
            return f"No entries in {self.label}."
        title = neutralise(" ".join(self.nearest.title.split()))
        return f"No entries in {self.label}; nearest: {self.nearest.date.isoformat()} — {title}"

    def prompt_note(self) -> str:
        """What the model is told, explicitly, before the memories."""
        if self.instead:
            return (
                f"Note: my journal has nothing from {self.label} about this; the memories below "
                f"are from {self.instead}. Say so plainly first, and say which year you mean."
            )
        return (
            f"Note: the question asks about {self.label}, and "
            + (
                f"none of my {self.entries} journal entries from then matches it."
                if self.entries
                else "my journal has no entries at all from then."
            )
            + " Say so plainly first; the memories below are from other times — never present "
            f"them as {self.label}."
        )


def window_label(after: dt.date | None, before: dt.date | None) -> str:
    if after and before:
        if after == before:
            return after.strftime("%-d %B %Y")
        if after.day == 1 and before == after.replace(day=calendar.monthrange(after.year, after.month)[1]):
            return after.strftime("%B %Y")
        if (after.month, after.day, before.month, before.day) == (1, 1, 12, 31) and after.year == before.year:
            return str(after.year)
        return f"{after.strftime('%-d %B %Y')} – {before.strftime('%-d %B %Y')}"
    if after:
        return f"the time since {after.strftime('%-d %B %Y')}"
    assert before is not None
    return f"the time before {before.strftime('%-d %B %Y')}"


def empty_window(
    plan: QueryPlan,
    summaries: Sequence[EntrySummary],
    *,
    as_of: dt.date | None = None,
    include_private: bool = True,
) -> EmptyWindow | None:
    """The question's date window when the search had to leave it: no filter at all
    (``plan.relaxed``), or the same period of an earlier year ("in November" → last year's)."""
    hint = plan.time
    if hint is None or not hint.has_range:
        return None
    after, before = hint.after, hint.before
    shifted = (
        not plan.relaxed
        and hint.implicit_year
        and after is not None
        and plan.after is not None
        and plan.after < after
    )
    if not plan.relaxed and not shifted:
        return None
    dated = [
        s
        for s in summaries
        if not s.note
        and not s.undated
        and (include_private or not s.private)
        and (as_of is None or s.date <= as_of)
    ]

    def inside(d: dt.date) -> bool:
        return (after is None or d >= after) and (before is None or d <= before)

    count = sum(1 for s in dated if inside(s.date))

    def distance(s: EntrySummary) -> int:
        if after is not None and s.date < after:
            return (after - s.date).days
        if before is not None and s.date > before:
            return (s.date - before).days
        return 0

    outside = [s for s in dated if not inside(s.date)]
    nearest = min(outside, key=lambda s: (distance(s), s.date, s.rel)) if outside else None
    instead = window_label(plan.after, plan.before) if shifted else None
    return EmptyWindow(window_label(after, before), after, before, count, nearest, instead)
