"""Life: the metrics you track (sleep, mood, exercise… as Obsidian Tracker writes them).

Pick a metric on the left; the chart shows it over time in weekly, monthly or daily buckets
(f5), as bars or a line (f6); the table below lists the buckets, and the entries behind the
highlighted one are one key away (enter opens it, or the list when there are several).
"What goes with it" compares the metric's mean on days that mention a person, place or tag
with the other days (Welch 95% interval, at least 8 days each side): associations in your
own entries, never causes. All reading runs in thread workers; the core does the sums
(``journal_me.life``)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, OptionList, Static
from textual_plotext import PlotextPlot

from journal_me.life.metrics_stats import Bucket, bucket
from journal_me.tui.messages import OpenEntry
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.text import one_line
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.life.metrics_answer import MetricReport
    from journal_me.life.metrics_stats import Association
    from journal_me.life.metrics_store import MetricInfo, MetricPoint

BUCKETS = ("week", "month", "day")
CHARTS = ("bar", "line")


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


class MetricChart(PlotextPlot):
    """A metric's buckets as bars or a line, a few date labels on the x axis."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buckets: list[Bucket] = []
        self.kind = "bar"
        self.unit: str | None = None
        self.empty_text = "pick a metric"
        self.size_name = "week"

    def show(
        self,
        buckets: list[Bucket],
        kind: str,
        unit: str | None,
        empty_text: str = "",
        size_name: str = "week",
    ) -> None:
        self.buckets, self.kind, self.unit, self.size_name = buckets, kind, unit, size_name
        self.empty_text = empty_text or "no values"
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _short(self, day: dt.date) -> str:
        return day.strftime("%b %y") if self.size_name == "month" else day.strftime("%d %b")

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.buckets:
            plt.title(self.empty_text)
            self.refresh()
            return
        xs = list(range(1, len(self.buckets) + 1))
        ys = [b.mean for b in self.buckets]
        if self.kind == "line" or len(xs) == 1:
            plt.plot(xs, ys, marker="braille")
        else:
            plt.bar(xs, ys, width=0.6)
        # five short labels at most, evenly spread, first and last included: labels that
        # overlap are dropped by plotext in an order that varies between runs
        slots = min(len(xs), 5)
        ticks = sorted({round(1 + i * (len(xs) - 1) / max(1, slots - 1)) for i in range(slots)})
        labels = [self._short(self.buckets[t - 1].start) for t in ticks]
        plt.xticks([float(t) for t in ticks], labels)
        if self.unit:
            plt.ylabel(self.unit)
        self.refresh()


class LifeScreen(ReportsWorkerErrors, MainScreen):
    MODE = "life"
    AUTO_FOCUS = "#life-metrics"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "next_bucket", "Buckets", id="life-buckets"),
        Binding("f6", "next_chart", "Bars/line", id="life-chart"),
        Binding("a", "toggle_associations", "Goes with", id="life-associations"),
    ]

    DEFAULT_CSS = """
    #life-body { height: 1fr; }
    #life-list { width: 30; border-right: vkey $panel-lighten-1; }
    #life-metrics { height: 1fr; }
    #life-detail { width: 1fr; padding: 0 1; }
    #life-title { height: auto; }
    #life-chart { height: 1fr; min-height: 6; }
    #life-lower { height: 11; }
    #life-buckets-box { width: 1fr; }
    #life-entries-box { width: 1fr; }
    #life-buckets { height: 1fr; }
    #life-entries, #life-assoc { height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis; }
    #life-assoc-box { height: 9; }
    .panel-title { text-style: bold; }
    LifeScreen.-narrow #life-list { width: 18; }
    LifeScreen.-narrow #life-lower { height: 7; }
    LifeScreen.-narrow #life-assoc-box { display: none; }
    LifeScreen.-narrow.-assoc #life-assoc-box { display: block; height: 1fr; }
    LifeScreen.-narrow.-assoc #life-chart { display: none; }
    LifeScreen.-hide-assoc #life-assoc-box { display: none; }
    """

    class _Metrics(Message):
        def __init__(self, items: list[MetricInfo]) -> None:
            self.items = items
            super().__init__()

    class _Series(Message):
        def __init__(
            self, request: int, report: MetricReport, found: list[Association], titles: dict[str, str]
        ) -> None:
            self.request, self.report, self.found, self.titles = request, report, found, titles
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.metrics: list[MetricInfo] = []
        self.current: str | None = None
        self.report: MetricReport | None = None
        self.found: list[Association] = []
        self.buckets: list[Bucket] = []
        self.bucket_size = "week"
        self.chart_kind = "bar"
        self._behind: list[MetricPoint] = []
        self._titles: dict[str, str] = {}
        self._requests = itertools.count(1)
        self._latest = 0

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="life-body"):
            with Vertical(id="life-list"):
                yield Label("Metrics", classes="panel-title")
                yield DataTable(id="life-metrics", cursor_type="row", zebra_stripes=True)
            with Vertical(id="life-detail"):
                yield Static(Text("Opening the vault…", style="dim"), id="life-title")
                yield MetricChart(id="life-chart")
                with Horizontal(id="life-lower"):
                    with Vertical(id="life-buckets-box"):
                        yield Label("Weeks", id="life-buckets-title", classes="panel-title")
                        yield DataTable(id="life-buckets", cursor_type="row")
                    with Vertical(id="life-entries-box"):
                        yield Label("Entries behind it (enter opens)", classes="panel-title")
                        yield OptionList(id="life-entries", markup=False)
                with Vertical(id="life-assoc-box"):
                    yield Label("What goes with it (association, not cause)", classes="panel-title")
                    yield OptionList(id="life-assoc", markup=False)

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self
        table = self.query_one("#life-metrics", DataTable)
        table.add_column("Name", key="name")
        table.add_column("n", key="n")
        table.add_column("Unit", key="unit")
        buckets = self.query_one("#life-buckets", DataTable)
        for label in ("Period", "n", "Mean", "Range"):
            buckets.add_column(label, key=label.lower())

    # -- loading ---------------------------------------------------------------------------
    def vault_ready(self, reason: str) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="life-load", exit_on_error=False)
    def _load(self) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.life.metrics_store import refresh

        store = refresh(journal)
        self.post_message(self._Metrics(store.metrics()))

    @on(_Metrics)
    def _loaded(self, msg: _Metrics) -> None:
        self.metrics = sorted(msg.items, key=lambda m: (-m.n, m.name))
        table = self.query_one("#life-metrics", DataTable)
        table.clear()
        for m in self.metrics:
            table.add_row(
                Text(one_line(m.name)),
                Text(str(m.n), justify="right"),
                Text(m.unit or "", style="dim"),
                key=m.name,
            )
        if not self.metrics:
            self.query_one("#life-title", Static).update(
                Text(
                    "No metrics yet. Log one with `journal-me log mood 7`, or write `sleep:: 7.5` "
                    "or #weight:60kg in an entry.",
                    style="dim",
                )
            )
            return
        wanted = self.metrics[0].name
        if self.current is not None and any(m.name == self.current for m in self.metrics):
            wanted = self.current
        self.show_metric(wanted)

    def show_metric(self, name: str) -> None:
        """Select ``name`` and load its series."""
        self.current = name
        table = self.query_one("#life-metrics", DataTable)
        for i, m in enumerate(self.metrics):
            if m.name == name and table.cursor_row != i:
                table.move_cursor(row=i, animate=False)
        self._latest = next(self._requests)
        self._series(self._latest, name)

    @work(thread=True, exclusive=True, group="life-series", exit_on_error=False)
    def _series(self, request: int, name: str) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.life.metrics_answer import associations, metric_report
        from journal_me.life.metrics_store import open_store

        store = open_store(journal)
        report = metric_report(store, name)
        found = associations(journal, store, name)
        titles = {s.rel: s.title for s in journal.entries()}
        self.post_message(self._Series(request, report, found, titles))

    @on(_Series)
    def _series_ready(self, msg: _Series) -> None:
        if msg.request != self._latest:
            return
        self.report, self.found, self._titles = msg.report, msg.found, msg.titles
        self._show_title()
        self._show_buckets()
        self._show_associations()

    # -- showing ---------------------------------------------------------------------------
    def _show_title(self) -> None:
        report = self.report
        title = Text()
        if report is None:
            return
        u = f" {report.unit}" if report.unit else ""
        title.append(one_line(report.name), style="bold")
        s = report.summary
        if s is None:
            title.append(f"  no numbers, {len(report.text_points)} text values", style="dim")
        else:
            title.append(f"  {s.n} days  {s.first.isoformat()} → {s.last.isoformat()}", style="dim")
            title.append(f"\nmin {_fmt(s.min)}{u} · median {_fmt(s.median)}{u} · max {_fmt(s.max)}{u}")
            title.append(f" · mean {s.mean:.1f}{u}")
            if report.trend.slope_per_week is not None:
                title.append(f" · trend {report.trend.slope_per_week:+.2f}{u}/week", style="italic")
        self.query_one("#life-title", Static).update(title)

    def _show_buckets(self) -> None:
        report = self.report
        daily = [(d, v) for d, v, _ in report.daily] if report is not None else []
        self.buckets = bucket(daily, self.bucket_size)
        unit = report.unit if report is not None else None
        chart = self.query_one("#life-chart", MetricChart)
        chart.show(self.buckets, self.chart_kind, unit, size_name=self.bucket_size)
        names = {"week": "Weeks", "month": "Months", "day": "Days"}
        self.query_one("#life-buckets-title", Label).update(f"{names[self.bucket_size]} (f5)")
        table = self.query_one("#life-buckets", DataTable)
        table.clear()
        for b in reversed(self.buckets):  # newest first
            span = f"{_fmt(b.min)}–{_fmt(b.max)}" if b.n > 1 else ""
            table.add_row(
                Text(b.label),
                Text(str(b.n), justify="right"),
                Text(f"{b.mean:.1f}", justify="right"),
                Text(span, style="dim"),
                key=b.start.isoformat(),
            )
        if self.buckets:
            table.move_cursor(row=0, animate=False)
            self._show_behind(self.buckets[-1])
        else:
            self._show_behind(None)

    def _points_in(self, b: Bucket) -> list[MetricPoint]:
        if self.report is None:
            return []
        days = [(d, pts) for d, _v, pts in self.report.daily]
        end = {"week": 7, "day": 1}.get(self.bucket_size)
        out: list[MetricPoint] = []
        for day, pts in days:
            if self.bucket_size == "month":
                inside = (day.year, day.month) == (b.start.year, b.start.month)
            else:
                inside = 0 <= (day - b.start).days < (end or 1)
            if inside:
                out.extend(pts)
        return out

    def _show_behind(self, b: Bucket | None) -> None:
        self._behind = list(reversed(self._points_in(b))) if b is not None else []
        titles = self._titles
        u = f" {self.report.unit}" if self.report is not None and self.report.unit else ""
        entries = self.query_one("#life-entries", OptionList)
        entries.set_options(
            [
                Text.assemble(
                    (p.day.isoformat(), "dim"),
                    f"  {p.text}{u if p.unit is None else ''}  ",
                    one_line(titles.get(p.rel) or p.rel),
                )
                for p in self._behind
            ]
            or [Text("nothing here", style="dim italic")]
        )

    def _show_associations(self) -> None:
        assoc = self.query_one("#life-assoc", OptionList)
        report = self.report
        if report is None:
            return
        if not self.found:
            n = report.summary.n if report.summary else 0
            assoc.set_options(
                [
                    Text(
                        "nothing to compare yet: needs at least 8 days with and 8 without a mention "
                        f"({n} days logged)",
                        style="dim italic",
                    )
                ]
            )
            return
        u = f" {report.unit}" if report.unit else ""
        rows: list[Text] = []
        for a in self.found[:12]:
            arrow = "▲" if a.diff > 0 else "▼"
            style = "bold" if a.clear else "dim"
            rows.append(
                Text.assemble(
                    (f"{arrow} {one_line(a.label)}", style),
                    f"  {a.mean_with:.1f}{u} (n={a.n_with}) vs {a.mean_without:.1f}{u} (n={a.n_without})",
                    (f"  95% CI {a.low:+.1f} to {a.high:+.1f}", "dim"),
                )
            )
        assoc.set_options(rows)

    # -- events ----------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#life-metrics")
    def _metric_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        name = str(event.row_key.value) if event.row_key is not None else None
        if name is not None and name != self.current:
            self.show_metric(name)

    @on(DataTable.RowHighlighted, "#life-buckets")
    def _bucket_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = str(event.row_key.value) if event.row_key is not None else None
        self._show_behind(next((b for b in self.buckets if b.start.isoformat() == key), None))

    @on(DataTable.RowSelected, "#life-buckets")
    def _bucket_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        rels = {p.rel for p in self._behind}
        if len(rels) == 1:
            self.post_message(OpenEntry(self._behind[0].rel, self._behind[0].line))
        elif self._behind:
            entries = self.query_one("#life-entries", OptionList)
            entries.highlighted = 0
            entries.focus()

    @on(DataTable.RowSelected, "#life-metrics")
    def _metric_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.query_one("#life-buckets", DataTable).focus()

    @on(OptionList.OptionSelected, "#life-entries")
    def _entry_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._behind):
            p = self._behind[event.option_index]
            self.post_message(OpenEntry(p.rel, p.line))

    # -- actions ---------------------------------------------------------------------------
    def action_next_bucket(self) -> None:
        self.bucket_size = BUCKETS[(BUCKETS.index(self.bucket_size) + 1) % len(BUCKETS)]
        self._show_buckets()

    def action_next_chart(self) -> None:
        self.chart_kind = CHARTS[(CHARTS.index(self.chart_kind) + 1) % len(CHARTS)]
        self._show_buckets()

    def action_toggle_associations(self) -> None:
        if self.narrow:
            self.toggle_class("-assoc")
        else:
            self.toggle_class("-hide-assoc")
