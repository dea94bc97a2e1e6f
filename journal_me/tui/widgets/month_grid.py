"""A small month calendar: days with entries are marked; arrows move, enter picks.

Textual has no calendar widget. This one renders a 7-column grid; ``days_with_entries``
(a callable) says which days of a month have entries. Mouse: click a day to pick it, click
the arrows in the heading to change month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

CELL = 4  # characters per day column
WIDTH = CELL * 7


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


class MonthGrid(Widget, can_focus=True):
    """A month of days; ``Picked`` is posted with the chosen date."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous day", show=False, id="grid-prev-day"),
        Binding("right", "move(1)", "Next day", show=False, id="grid-next-day"),
        Binding("up", "move(-7)", "Previous week", show=False, id="grid-prev-week"),
        Binding("down", "move(7)", "Next week", show=False, id="grid-next-week"),
        Binding("pageup", "month(-1)", "Previous month", id="grid-prev-month"),
        Binding("pagedown", "month(1)", "Next month", id="grid-next-month"),
        Binding("home", "today", "Today", show=False, id="grid-today"),
        Binding("enter", "pick", "Pick day", id="grid-pick"),
    ]

    cursor: reactive[dt.date] = reactive(dt.date(2000, 1, 1), always_update=True)

    class Picked(Message):
        def __init__(self, day: dt.date) -> None:
            self.day = day
            super().__init__()

    def __init__(
        self,
        today: dt.date,
        days_with_entries: Callable[[int, int], set[int]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.today = today
        self.days_with_entries = days_with_entries
        self.set_reactive(MonthGrid.cursor, today)

    def render(self) -> Text:
        cur = self.cursor
        marked = self.days_with_entries(cur.year, cur.month)
        out = Text(no_wrap=True)
        heading = f"{calendar.month_name[cur.month]} {cur.year}"
        out.append("◀ ", style="bold")
        out.append(heading.center(WIDTH - 4), style="bold")
        out.append(" ▶", style="bold")
        out.append("\n")
        for name in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"):
            out.append(f"{name:>{CELL - 1}} ", style="dim")
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(cur.year, cur.month):
            out.append("\n")
            for day in week:
                if day == 0:
                    out.append(" " * CELL)
                    continue
                style = ""
                if day in marked:
                    style = "bold underline"
                if dt.date(cur.year, cur.month, day) == self.today:
                    style += " italic"
                if day == cur.day:
                    style += " reverse"
                out.append(" " * (CELL - 1 - len(str(day))))
                out.append(str(day), style=style.strip())
                out.append(" ")
        out.append("\n")
        count = len(marked)
        out.append(
            f"{count} day{'s' if count != 1 else ''} with entries" if count else "no entries", style="dim"
        )
        return out

    def get_content_width(self, container: object, viewport: object) -> int:
        return WIDTH

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 9

    # -- actions ---------------------------------------------------------------------------
    def action_move(self, days: int) -> None:
        self.cursor = self.cursor + dt.timedelta(days=days)

    def action_month(self, months: int) -> None:
        self.cursor = add_months(self.cursor, months)

    def action_today(self) -> None:
        self.cursor = self.today

    def action_pick(self) -> None:
        self.post_message(self.Picked(self.cursor))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x, offset.y
        if y == 0:
            if x < 3:
                self.action_month(-1)
            elif x >= WIDTH - 3:
                self.action_month(1)
            return
        weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(self.cursor.year, self.cursor.month)
        row = y - 2
        col = x // CELL
        if 0 <= row < len(weeks) and 0 <= col < 7 and weeks[row][col]:
            self.cursor = self.cursor.replace(day=weeks[row][col])
            self.action_pick()
