"""Tasks: the open tasks written in the entries (Obsidian Tasks / Dataview format).

The table lists what is due now first (overdue, then today's, as ``reminders.due_now``
orders them), then the rest by day. Space or enter marks the highlighted task done in its
entry (``life.tasks.complete``: ``[x]`` and ``✅ today``, a recurring task gains its next
occurrence); "o" opens the entry in the Journal screen. The banner says what is due now and
is refreshed every minute. Reading and writing run in thread workers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from journal_me.tui.messages import OpenEntry
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.text import one_line
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.life.tasks import Task

BANNER_INTERVAL = 60.0  # seconds between refreshes of the "due now" line


class TasksScreen(ReportsWorkerErrors, MainScreen):
    MODE = "tasks"
    AUTO_FOCUS = "#tasks-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "done", "Done", id="tasks-done"),
        Binding("o", "open_entry", "Open entry", id="tasks-open"),
    ]

    DEFAULT_CSS = """
    #tasks-body { height: 1fr; padding: 0 1; }
    #tasks-banner { height: auto; max-height: 4; margin-bottom: 1; }
    #tasks-table { height: 1fr; }
    """

    class _Loaded(Message):
        def __init__(self, tasks: list[Task]) -> None:
            self.tasks = tasks
            super().__init__()

    class _Done(Message):
        def __init__(self, text: str, error: bool) -> None:
            self.text, self.error = text, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[Task] = []  # open tasks, in table order
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="tasks-body"):
            yield Static(Text("Opening the vault…", style="dim"), id="tasks-banner")
            yield DataTable(id="tasks-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self
        table = self.query_one("#tasks-table", DataTable)
        table.add_column("Due", key="due")
        table.add_column("Task", key="task")
        table.add_column("Entry", key="entry")
        self.set_interval(BANNER_INTERVAL, self._show_banner)

    def now(self) -> dt.datetime:
        """The app's day (tests fix it) at the clock's time."""
        return dt.datetime.combine(self.jm.today(), dt.datetime.now().time())

    # -- loading ---------------------------------------------------------------------------
    def vault_ready(self, reason: str) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="tasks-load", exit_on_error=False)
    def _load(self) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.life.tasks import collect

        self.post_message(self._Loaded([t for t in collect(journal) if t.open]))

    @on(_Loaded)
    def _loaded(self, msg: _Loaded) -> None:
        from journal_me.life.reminders import due_now

        due = due_now(msg.tasks, self.now())
        ids = {t.id for t in due}
        rest = sorted(
            (t for t in msg.tasks if t.id not in ids),
            key=lambda t: (t.when or dt.date.max, t.rel, t.line),
        )
        self.tasks = due + rest
        self.loaded = True
        table = self.query_one("#tasks-table", DataTable)
        keep = table.cursor_row
        table.clear()
        today = self.jm.today()
        for t in self.tasks:
            day = t.due or t.scheduled or t.start
            style = "bold red" if day is not None and day < today else ("bold" if t.id in ids else "")
            when = day.isoformat() if day else ""
            if t.remind_at is not None:
                when = f"{when} {t.remind_at:%H:%M}".strip()
            extra = " 🔁" if t.recurrence else ""
            table.add_row(
                Text(when, style=style),
                Text(one_line(t.description) + extra),
                Text(one_line(t.rel), style="dim"),
                key=t.id,
            )
        if self.tasks:
            table.move_cursor(row=min(max(keep, 0), len(self.tasks) - 1), animate=False)
        self._show_banner()

    def _show_banner(self) -> None:
        if not self.loaded:
            return
        from journal_me.life.reminders import describe, due_now

        now = self.now()
        due = due_now(self.tasks, now)
        banner = self.query_one("#tasks-banner", Static)
        if not self.tasks:
            banner.update(Text("No open tasks. Write `- [ ] … 📅 2026-12-05` in an entry.", style="dim"))
            return
        if not due:
            banner.update(Text(f"Nothing due now · {len(self.tasks)} open", style="dim"))
            return
        head = "1 task due now" if len(due) == 1 else f"{len(due)} tasks due now"
        text = Text.assemble((head, "bold"), ": ")
        text.append("; ".join(one_line(describe(t, now.date())) for t in due))
        banner.update(text)

    # -- actions ---------------------------------------------------------------------------
    def _current(self) -> Task | None:
        table = self.query_one("#tasks-table", DataTable)
        if not self.tasks or not 0 <= table.cursor_row < len(self.tasks):
            return None
        return self.tasks[table.cursor_row]

    def action_done(self) -> None:
        task = self._current()
        if task is not None:
            self._complete(task.id)

    @on(DataTable.RowSelected, "#tasks-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_done()

    def action_open_entry(self) -> None:
        task = self._current()
        if task is not None:
            self.post_message(OpenEntry(task.rel, task.line))

    @work(thread=True, exclusive=True, group="tasks-done", exit_on_error=False)
    def _complete(self, tid: str) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.api import EntryReadError, VaultError
        from journal_me.life.tasks import RecurrenceError, TaskNotFound, complete

        try:
            result = complete(journal, tid, self.jm.today())
        except (TaskNotFound, RecurrenceError, EntryReadError, VaultError, OSError) as exc:
            self.post_message(self._Done(str(exc), True))
            return
        if result.conflict_rel:
            text = f"{result.rel} changed on disk meanwhile: marked done in {result.conflict_rel}"
            self.post_message(self._Done(text, True))
        else:
            text = f"done: {result.task.description}"
            if result.next_line:
                text += " (next occurrence added)"
            self.post_message(self._Done(text, False))

    @on(_Done)
    def _done(self, msg: _Done) -> None:
        self._load()
        self.notify(
            one_line(msg.text),
            severity="error" if msg.error else "information",
            markup=False,
            timeout=8 if msg.error else 4,
        )
