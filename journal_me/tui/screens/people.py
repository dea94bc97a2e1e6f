"""People & topics: every entity with its type and mention count; pick one to see who and
what it goes with, when it comes up (a bar chart) and the entries that mention it."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.data_table import ColumnKey

from journal_me.tui.messages import OpenEntity, OpenEntry
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.text import one_line
from journal_me.tui.widgets.timeline import MentionTimeline
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.api import EntityInfo, Related, TimelinePoint

KINDS = ("person", "pet", "place", "org", "topic", "tag")
SORTS = ("mentions", "name", "type", "first", "last")
COLUMNS = (("Name", "name"), ("Type", "type"), ("Mentions", "mentions"), ("First", "first"), ("Last", "last"))


def sort_entities(items: list[EntityInfo], by: str, reverse: bool = False) -> list[EntityInfo]:
    keys = {
        "mentions": lambda e: (-e.count, e.name.lower()),
        "name": lambda e: (e.name.lower().lstrip("#"), -e.count),
        "type": lambda e: (e.type, -e.count, e.name.lower()),
        "first": lambda e: (e.first.isoformat() if e.first else "", e.name.lower()),
        "last": lambda e: ("" if e.last is None else e.last.isoformat(), e.name.lower()),
    }
    return sorted(items, key=keys[by], reverse=reverse)


def matches(info: EntityInfo, needle: str, kind: str | None) -> bool:
    if kind and info.type != kind:
        return False
    if not needle:
        return True
    needle = needle.lower()
    return needle in info.name.lower() or any(needle in a for a in info.aliases)


class PeopleScreen(ReportsWorkerErrors, MainScreen):
    MODE = "people"
    AUTO_FOCUS = "#people-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "next_sort", "Sort", id="people-sort"),
        Binding("f6", "next_kind", "Type", id="people-kind"),
        Binding("escape", "focus_filter", "Filter", id="people-focus-filter"),
    ]

    class _Entities(Message):
        def __init__(self, items: list[EntityInfo]) -> None:
            self.items = items
            super().__init__()

    class _Details(Message):
        def __init__(
            self, request: int, name: str, related: list[Related], points: list[TimelinePoint]
        ) -> None:
            self.request, self.name, self.related, self.points = request, name, related, points
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._all: list[EntityInfo] = []
        self._shown: list[EntityInfo] = []
        self._sort = "mentions"
        self._reverse = False
        self._wanted: str | None = None
        self._current: str | None = None
        self._related: list[str] = []
        self._points: list[TimelinePoint] = []
        self._requests = itertools.count(1)
        self._latest = 0
        self._filter_timer: Timer | None = None
        self._detail_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="people-body"):
            with Vertical(id="people-list"):
                with Horizontal(id="people-filters"):
                    yield Input(placeholder="filter: name or alias", id="people-filter")
                    yield Select(
                        [(k, k) for k in KINDS],
                        prompt="all types",
                        id="people-kind",
                        allow_blank=True,
                    )
                yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="people-detail"):
                yield Static(id="entity-title")
                yield MentionTimeline(id="entity-timeline")
                with Horizontal(id="entity-lists"):
                    with Vertical(id="entity-related-box"):
                        yield Label("Goes with", classes="panel-title")
                        yield OptionList(id="entity-related", markup=False)
                    with Vertical(id="entity-mentions-box"):
                        yield Label("Mentioned in", classes="panel-title")
                        yield OptionList(id="entity-mentions", markup=False)

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self
        table = self.query_one("#people-table", DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key, width=22 if key == "name" else None)
        self.query_one("#entity-title", Static).update(Text("Opening the vault…", style="dim"))

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#people-table", DataTable)

    # -- loading ---------------------------------------------------------------------------
    def vault_ready(self, reason: str) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="people-load", exit_on_error=False)
    def _load(self) -> None:
        journal = self.jm.journal
        if journal is not None:
            self.post_message(self._Entities(journal.entities()))

    @on(_Entities)
    def _loaded(self, msg: _Entities) -> None:
        self._all = msg.items
        self._refill()
        if self._wanted is None and self._current is None and self._shown:
            self._select(self._shown[0].name)

    def show_entity(self, name: str) -> None:
        """Select ``name`` (clearing filters that hide it) once the list is loaded."""
        self._wanted = name
        if self._all:
            self._apply_wanted()

    def _apply_wanted(self) -> None:
        name = self._wanted
        if name is None:
            return
        target = next((e for e in self._all if e.name == name), None)
        if target is None:
            low = name.lower()
            target = next((e for e in self._all if low in e.aliases), None)
        if target is None:
            self.notify(f"{name}: not in the list (mentioned only once?)", markup=False)
            self._wanted = None
            self._show_details(name)
            return
        if not any(e.name == target.name for e in self._shown):
            self.query_one("#people-filter", Input).value = ""
            self.query_one("#people-kind", Select).clear()
            self._refill()
        self._wanted = None
        self._select(target.name)

    # -- the table -------------------------------------------------------------------------
    def _refill(self) -> None:
        needle = self.query_one("#people-filter", Input).value.strip()
        kind_value = self.query_one("#people-kind", Select).value
        kind = kind_value if isinstance(kind_value, str) else None
        shown = [e for e in self._all if matches(e, needle, kind)]
        self._shown = sort_entities(shown, self._sort, self._reverse)
        table = self.table
        table.clear()
        for e in self._shown:
            table.add_row(
                Text(one_line(e.name)),
                Text(e.type, style="dim"),
                Text(str(e.count), justify="right"),
                Text(e.first.isoformat() if e.first else "", style="dim"),
                Text(e.last.isoformat() if e.last else "", style="dim"),
                key=e.name,
            )
        self._show_sort()
        if self._wanted is not None:
            self._apply_wanted()
        elif self._current is not None:
            self._move_cursor(self._current)

    def _move_cursor(self, name: str) -> bool:
        for i, e in enumerate(self._shown):
            if e.name == name:
                self.table.move_cursor(row=i, animate=False)
                return True
        return False

    def _select(self, name: str) -> None:
        if self._move_cursor(name):
            self._current = name
            self._show_details(name)

    def _show_sort(self) -> None:
        arrow = " ▲" if self._reverse else " ▼"
        table = self.table
        for label, key in COLUMNS:
            column = table.columns.get(ColumnKey(key))
            if column is not None:
                column.label = Text(label + (arrow if key == self._sort else ""))
        table.refresh()

    @on(Input.Changed, "#people-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.15, self._refill)

    @on(Input.Submitted, "#people-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._refill()
        self.table.focus()

    @on(Select.Changed, "#people-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._refill()

    @on(DataTable.HeaderSelected, "#people-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        if key == self._sort:
            self._reverse = not self._reverse
        else:
            self._sort, self._reverse = key, False
        self._refill()

    @on(DataTable.RowHighlighted, "#people-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        name = str(event.row_key.value) if event.row_key is not None else None
        if name is None or name == self._current:
            return
        self._current = name
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(0.1, lambda: self._show_details(name))

    @on(DataTable.RowSelected, "#people-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.query_one("#entity-mentions", OptionList).focus()

    # -- details ---------------------------------------------------------------------------
    def _show_details(self, name: str) -> None:
        self._latest = next(self._requests)
        self._details(self._latest, name)

    @work(thread=True, exclusive=True, group="people-details", exit_on_error=False)
    def _details(self, request: int, name: str) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        related = journal.related(name, limit=20)
        points = journal.timeline(name)
        self.post_message(self._Details(request, name, related, points))

    @on(_Details)
    def _details_ready(self, msg: _Details) -> None:
        if msg.request != self._latest:
            return
        info = next((e for e in self._all if e.name == msg.name), None)
        title = Text()
        title.append(one_line(msg.name), style="bold")
        if info is not None:
            title.append(f"  {info.type}", style="italic")
            title.append(f"  ·  {info.count} entr{'y' if info.count == 1 else 'ies'}")
            if info.first and info.last:
                title.append(f"  ·  {info.first.isoformat()} → {info.last.isoformat()}", style="dim")
            if info.aliases:
                title.append("\nalso: " + one_line(", ".join(info.aliases[:6])), style="dim")
        self.query_one("#entity-title", Static).update(title)
        self.query_one("#entity-timeline", MentionTimeline).show(msg.name, [p.date for p in msg.points])
        self._related = [r.name for r in msg.related]
        related = self.query_one("#entity-related", OptionList)
        related.set_options(
            [Text.assemble(one_line(r.name), (f"  {r.weight}", "dim")) for r in msg.related]
            or [Text("nothing yet", style="dim italic")]
        )
        self._points = list(reversed(msg.points))
        mentions = self.query_one("#entity-mentions", OptionList)
        mentions.set_options(
            [
                Text.assemble((p.date.isoformat(), "dim"), "  ", one_line(p.title or p.rel))
                for p in self._points
            ]
            or [Text("no dated entries", style="dim italic")]
        )

    @on(OptionList.OptionSelected, "#entity-related")
    def _related_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._related):
            self.post_message(OpenEntity(self._related[event.option_index]))

    @on(OptionList.OptionSelected, "#entity-mentions")
    def _mention_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._points):
            self.post_message(OpenEntry(self._points[event.option_index].rel))

    # -- actions ---------------------------------------------------------------------------
    def action_next_sort(self) -> None:
        self._sort = SORTS[(SORTS.index(self._sort) + 1) % len(SORTS)]
        self._reverse = False
        self._refill()

    def action_next_kind(self) -> None:
        select = self.query_one("#people-kind", Select)
        current = select.value if isinstance(select.value, str) else None
        order: list[str | None] = [None, *KINDS]
        nxt = order[(order.index(current) + 1) % len(order)]
        if nxt is None:
            select.clear()
        else:
            select.value = nxt

    def action_focus_filter(self) -> None:
        self.query_one("#people-filter", Input).focus()
