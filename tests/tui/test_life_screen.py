"""The Life screen on the sample vault: metrics, the chart's buckets, the entries behind a
point one key away, "what goes with it"; snapshots at 80×24 and 140×42."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static

from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.life import LifeScreen, MetricChart

from .conftest import no_blink, settle, wait_until

Snap = Callable[..., bool]


async def _open_life(pilot: Pilot[Any]) -> LifeScreen:
    await settle(pilot)
    await pilot.press("f11")
    screen = pilot.app.screen
    assert isinstance(screen, LifeScreen)
    await wait_until(
        pilot,
        lambda: screen.report is not None and bool(screen.found),
        timeout=30,
        what="sleep and what goes with it",
    )
    await settle(pilot)
    return screen


async def test_metrics_chart_and_buckets(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open_life(pilot)
        assert [m.name for m in screen.metrics] == ["sleep", "mood", "exercise", "bp"]
        assert screen.current == "sleep"
        title = str(screen.query_one("#life-title", Static).render())
        assert "70 days" in title and "2025-09-04 → 2026-02-26" in title
        chart = screen.query_one("#life-chart", MetricChart)
        assert chart.kind == "bar" and len(chart.buckets) == 26  # ISO weeks Sep 2025 – Feb 2026
        await pilot.press("f5")  # months
        assert [b.label for b in chart.buckets] == [
            "2025-09",
            "2025-10",
            "2025-11",
            "2025-12",
            "2026-01",
            "2026-02",
        ]
        november = chart.buckets[2]
        assert november.n == 11 and abs(november.mean - 62.5 / 11) < 1e-9  # the release crunch
        await pilot.press("f6")
        assert chart.kind == "line"
        # another metric: the table's cursor picks it
        table = screen.query_one("#life-metrics", DataTable)
        table.focus()
        await pilot.press("down")
        await wait_until(
            pilot, lambda: screen.report is not None and screen.report.name == "mood", timeout=30, what="mood"
        )
        assert screen.report is not None and screen.report.text_points  # the words are kept too


async def test_the_entries_behind_a_point_are_one_key_away(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open_life(pilot)
        await pilot.press("f5", "f5")  # days: one entry behind each point
        buckets = screen.query_one("#life-buckets", DataTable)
        buckets.focus()
        await pilot.pause()
        entries = screen.query_one("#life-entries", OptionList)
        assert entries.option_count == 1 and "Dr Whitfield" in str(entries.get_option_at_index(0).prompt)
        await pilot.press("enter")  # the newest day: 26 Feb 2026
        await wait_until(pilot, lambda: app.current_mode == "journal", timeout=30, what="the journal screen")
        await settle(pilot)
        journal: Any = app.screen
        assert journal.editor.doc.rel == "journal/2026/2026-02-26.md"


async def test_a_week_with_several_entries_lists_them(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open_life(pilot)
        buckets = screen.query_one("#life-buckets", DataTable)
        buckets.focus()
        row = next(i for i, b in enumerate(reversed(screen.buckets)) if b.label == "2025-11-10")
        buckets.move_cursor(row=row)
        await pilot.pause()
        entries = screen.query_one("#life-entries", OptionList)
        shown = [str(entries.get_option_at_index(i).prompt) for i in range(entries.option_count)]
        assert [s[:10] for s in shown] == ["2025-11-16", "2025-11-15", "2025-11-13", "2025-11-10"]
        await pilot.press("enter")
        assert app.focused is entries
        await pilot.press("down", "enter")  # release night
        await wait_until(pilot, lambda: app.current_mode == "journal", timeout=30, what="the journal screen")
        await settle(pilot)
        journal: Any = app.screen
        assert journal.editor.doc.rel == "journal/2025/2025-11-15.md"


async def test_what_goes_with_it_is_worded_as_association(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open_life(pilot)
        assert all(a.n_with >= 8 and a.n_without >= 8 for a in screen.found)
        graham = next(a for a in screen.found if a.label == "Graham")
        assert graham.clear and graham.diff < 0  # sleep is lower on Graham days, in this diary
        box = screen.query_one("#life-assoc-box")
        label = str(box.query_one(".panel-title", Static).render())
        assert "association, not cause" in label
        rows = screen.query_one("#life-assoc", OptionList)
        assert any("Graham" in str(rows.get_option_at_index(i).prompt) for i in range(rows.option_count))
        await pilot.press("a")
        assert not box.display or screen.has_class("-hide-assoc")


def _ready(pilot_keys: tuple[str, ...] = ()) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_life(pilot)
        for key in pilot_keys:
            await pilot.press(key)
            await settle(pilot)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def test_life_snapshot_wide(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(140, 42), run_before=_ready())


def test_life_snapshot_small(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready())


def test_life_snapshot_small_goes_with(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready(("a",)))
