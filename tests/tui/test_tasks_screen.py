"""The Tasks screen on the sample vault: open tasks, due ones first, with a "due now" banner;
space marks the highlighted task done in its entry (a recurring one gains its next
occurrence); "o" opens the entry; snapshots at 80×24 and 140×42."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.tasks import TasksScreen

from .conftest import no_blink, settle, wait_until

Snap = Callable[..., bool]
ENTRY = "journal/2026/2026-10-28.md"
VITAMIN = "- [ ] vitamin D, one tablet with breakfast 🔁 every day ⏰ 08:30 📅 2026-10-29 #health"


async def _open(pilot: Pilot[Any]) -> TasksScreen:
    await settle(pilot)
    await pilot.press("ctrl+y")
    screen = pilot.app.screen
    assert isinstance(screen, TasksScreen)
    await wait_until(pilot, lambda: screen.loaded, timeout=30, what="tasks")
    await settle(pilot)
    return screen


async def test_lists_due_first_and_marks_done(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / ENTRY
    before = path.read_text(encoding="utf-8").splitlines()
    assert VITAMIN in before
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open(pilot)
        names = [t.description for t in screen.tasks]
        assert not any("wedding speech" in n for n in names)  # done tasks are not listed
        # overdue (before 2026-11-02) first, the train tickets (11-06) after them
        vitamin = next(i for i, n in enumerate(names) if n.startswith("vitamin D, one tablet"))
        assert vitamin < next(i for i, n in enumerate(names) if n.startswith("train tickets"))
        banner = str(screen.query_one("#tasks-banner", Static).render())
        assert "due now" in banner and "vitamin D" in banner
        table = screen.query_one("#tasks-table", DataTable)
        table.move_cursor(row=vitamin, animate=False)
        await pilot.press("space")
        await wait_until(
            pilot,
            lambda: VITAMIN not in path.read_text(encoding="utf-8").splitlines(),
            timeout=15,
            what="the task marked done",
        )
        await settle(pilot)
        after = path.read_text(encoding="utf-8").splitlines()
        i = before.index(VITAMIN)
        assert after[:i] == before[:i] and after[i + 2 :] == before[i + 1 :]
        assert after[i] == VITAMIN.replace("2026-10-29", "2026-10-30")  # the next occurrence
        assert after[i + 1] == "- [x]" + VITAMIN[5:] + " ✅ 2026-11-02"
        # the list reloads: the next occurrence is the open one now
        await wait_until(
            pilot, lambda: any(t.raw == after[i] for t in screen.tasks), timeout=15, what="reload"
        )
        assert not any(t.raw == VITAMIN for t in screen.tasks)


async def test_o_opens_the_entry(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open(pilot)
        row = next(i for i, t in enumerate(screen.tasks) if t.rel == ENTRY)
        screen.query_one("#tasks-table", DataTable).move_cursor(row=row, animate=False)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, JournalScreen), what="journal")
        await settle(pilot)
        journal_screen: Any = pilot.app.screen
        assert isinstance(journal_screen, JournalScreen)
        assert journal_screen.editor.doc.rel == ENTRY


def _ready() -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def test_tasks_snapshot_wide(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(140, 42), run_before=_ready())


def test_tasks_snapshot_small(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready())
