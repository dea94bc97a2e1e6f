"""A bar chart of mentions over time (textual-plotext): per month, or per quarter/year when
the span is long."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence

from textual.color import Color
from textual_plotext import PlotextPlot


def bucket_counts(days: Sequence[dt.date]) -> tuple[str, list[str], list[int]]:
    """(unit, labels, counts) from the first to the last mention, empty buckets included."""
    if not days:
        return "month", [], []
    first, last = min(days), max(days)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span <= 36:
        unit, size = "month", 1
    elif span <= 144:
        unit, size = "quarter", 3
    else:
        unit, size = "year", 12

    def index(day: dt.date) -> int:
        if size == 12:
            return day.year
        return (day.year * 12 + day.month - 1) // size

    counts = Counter(index(d) for d in days)
    start, end = index(first), index(last)
    labels: list[str] = []
    values: list[int] = []
    for i in range(start, end + 1):
        if size == 12:
            labels.append(str(i))
        else:
            year, m0 = divmod(i * size, 12)
            if size == 1:
                labels.append(dt.date(year, m0 + 1, 1).strftime("%b %y"))
            else:
                labels.append(f"Q{m0 // 3 + 1} {year % 100:02d}")
        values.append(counts.get(i, 0))
    return unit, labels, values


class MentionTimeline(PlotextPlot):
    """Mentions of one entity over time."""

    _shown: tuple[str, tuple[dt.date, ...]] | None = None

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, name: str, days: Sequence[dt.date]) -> None:
        self._shown = (name, tuple(days))
        unit, labels, values = bucket_counts(days)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not values:
            plt.title(f"{name}: no dated mentions")
            self.refresh()
            return
        color = Color.parse(self.app.theme_variables.get("primary", "#888888")).rgb
        xs = list(range(1, len(values) + 1))
        plt.bar(xs, values, color=color, width=0.6)
        # few enough labels that none overlap: plotext drops overlapping ones in an order
        # that changes between runs (hash seed), which would make screenshots unstable
        width = self.size.width or 48
        longest = max(len(label) for label in labels)
        max_ticks = max(2, (width - 10) // (longest + 5))
        step = max(1, math.ceil(len(labels) / max_ticks))
        ticks = xs[::step]
        plt.xticks([float(t) for t in ticks], [labels[t - 1] for t in ticks])
        top = max(values)
        plt.yticks([0.0, float(top)] if top else [0.0])
        plt.title(f"mentions of {name} per {unit}")
        self.refresh()
