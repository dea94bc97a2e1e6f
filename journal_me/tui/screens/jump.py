"""Go to a date: type it in words ("last friday", "3 March", "2026-03-02") or pick it on the
month grid, where days with entries are underlined."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from journal_me.tui.widgets.month_grid import MonthGrid


class JumpScreen(ModalScreen[dt.date | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="jump-cancel")]

    def __init__(self, today: dt.date, days_with_entries: Callable[[int, int], set[int]]) -> None:
        super().__init__()
        self.today = today
        self.days_with_entries = days_with_entries

    def compose(self) -> ComposeResult:
        with Vertical(id="jump-dialog"):
            yield Static(Text("Go to date", style="bold"), id="jump-title")
            yield Input(placeholder="e.g. yesterday, last friday, 3 March, 2026-03-02", id="jump-input")
            yield Static(id="jump-error")
            yield MonthGrid(self.today, self.days_with_entries, id="jump-grid")
            yield Static(
                Text("tab: calendar · arrows: day · pgup/pgdn: month · enter: open", style="dim"),
                id="jump-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#jump-input", Input).focus()

    @on(Input.Submitted, "#jump-input")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        from journal_me.dates import DateParseError, parse_day

        raw = event.value.strip()
        if not raw:
            self.dismiss(self.query_one(MonthGrid).cursor)
            return
        try:
            day = parse_day(raw, self.today)
        except DateParseError as exc:
            self.query_one("#jump-error", Static).update(Text(str(exc), style="bold"))
            return
        self.dismiss(day)

    @on(Input.Changed, "#jump-input")
    def _preview(self, event: Input.Changed) -> None:
        """Follow an ISO date on the grid as it is typed (cheap; words are parsed on enter)."""
        self.query_one("#jump-error", Static).update("")
        try:
            day = dt.date.fromisoformat(event.value.strip())
        except ValueError:
            return
        self.query_one(MonthGrid).cursor = day

    @on(MonthGrid.Picked)
    def _picked(self, event: MonthGrid.Picked) -> None:
        event.stop()
        self.dismiss(event.day)

    def action_cancel(self) -> None:
        self.dismiss(None)
