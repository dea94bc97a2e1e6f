"""The search screen: results as you type, with highlighted snippets and filters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static

from journal_me.tui.messages import OpenEntry
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.text import hit_prompt
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.api import Hit

RESULT_LIMIT = 50
DEBOUNCE = 0.25


@dataclass(frozen=True)
class SearchRequest:
    query: str
    after: str
    before: str
    tags: str


@dataclass
class SearchResult:
    request_id: int
    hits: list[Hit] = field(default_factory=list)
    error: str | None = None
    bad_field: str | None = None
    note: str = ""


def split_tags(raw: str) -> list[str]:
    return [t.lstrip("#") for t in raw.replace(",", " ").split() if t.lstrip("#")]


class SearchScreen(ReportsWorkerErrors, MainScreen):
    MODE = "search"
    AUTO_FOCUS = "#query"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "focus_query", "Query", id="search-focus-query"),
        Binding("ctrl+down", "focus_results", "Results", id="search-focus-results"),
    ]

    class _Done(Message):
        def __init__(self, result: SearchResult) -> None:
            self.result = result
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self._latest = 0
        self._timer: Timer | None = None
        self._hits: list[Hit] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="search-body"):
            with Horizontal(id="search-inputs"):
                yield Input(placeholder="Search your journal — words or a question", id="query")
                yield Input(placeholder="from: e.g. last spring", id="after")
                yield Input(placeholder="to: e.g. yesterday", id="before")
                yield Input(placeholder="tags: knee, work", id="tags")
            yield Static(id="search-summary")
            yield OptionList(id="results", markup=False)

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self
        self._summary(
            Text(
                'Type to search. Filters take dates in words ("last May") or 2026-03-02, and tags.',
                style="dim",
            )
        )
        self.query_one("#query", Input).focus()

    def vault_ready(self, reason: str) -> None:
        if reason == "indexed" and self._request().query:
            self._run()

    # -- input -----------------------------------------------------------------------------
    def set_query(self, text: str) -> None:
        query = self.query_one("#query", Input)
        query.value = text
        query.focus()
        self._run()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._run)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._run()
        self.action_focus_results()

    def _request(self) -> SearchRequest:
        def value(name: str) -> str:
            return self.query_one(f"#{name}", Input).value.strip()

        return SearchRequest(value("query"), value("after"), value("before"), value("tags"))

    def _run(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        request = self._request()
        for name in ("after", "before"):
            self.query_one(f"#{name}", Input).remove_class("-invalid")
        if not (request.query or request.after or request.before or request.tags):
            self._latest = next(self._ids)
            self._show([], None)
            return
        if self.jm.journal is None:
            self._summary(Text("Opening the vault…", style="dim"))
            return
        self._latest = next(self._ids)
        self._summary(Text("Searching…", style="dim"))
        self._search(self._latest, request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, request_id: int, request: SearchRequest) -> None:
        from journal_me.dates import DateParseError, parse_day

        journal = self.jm.journal
        result = SearchResult(request_id)
        if journal is None:
            return
        today = self.jm.today()
        try:
            after = before = None
            if request.after:
                result.bad_field = "after"
                after = parse_day(request.after, today)
            if request.before:
                result.bad_field = "before"
                before = parse_day(request.before, today, end_of_period=True)
            result.bad_field = None
        except DateParseError as exc:
            result.error = str(exc)
            self.post_message(self._Done(result))
            return
        tags = split_tags(request.tags)
        try:
            result.hits = journal.search(
                request.query,
                limit=RESULT_LIMIT,
                after=after,
                before=before,
                tags=tags,
                today=today,
            )
        except Exception as exc:  # the index may be busy or broken: say so, keep the screen
            result.error = f"search failed: {exc}"
        parts = []
        if after or before:
            parts.append(f"{after.isoformat() if after else '…'} → {before.isoformat() if before else '…'}")
        if tags:
            parts.append(" ".join(f"#{t}" for t in tags))
        result.note = "  ·  ".join(parts)
        self.post_message(self._Done(result))

    @on(_Done)
    def _done(self, msg: _Done) -> None:
        result = msg.result
        if result.request_id != self._latest:
            return  # a newer search is on its way
        if result.error:
            if result.bad_field:
                self.query_one(f"#{result.bad_field}", Input).add_class("-invalid")
            self._summary(Text(result.error, style="bold"))
            return
        self._show(result.hits, result.note)

    def _show(self, hits: list[Hit], note: str | None) -> None:
        self._hits = hits
        results = self.query_one("#results", OptionList)
        style = self._highlight_style()
        results.set_options([hit_prompt(h, highlight=style) for h in hits])
        if hits:
            results.highlighted = 0
        if note is None:
            self._summary(Text("Type to search.", style="dim"))
            return
        n = len(hits)
        text = Text(f"{n}{'+' if n >= RESULT_LIMIT else ''} result{'s' if n != 1 else ''}")
        if note:
            text.append(f"  ·  {note}", style="dim")
        if hits:
            text.append("  ·  enter opens", style="dim")
        self._summary(text)

    def _highlight_style(self) -> Style:
        """Matched words: bold and underlined (never colour alone), in the theme's accent."""
        variables = self.app.theme_variables
        accent = variables.get("text-accent") or variables.get("accent", "")
        try:
            return Style.parse(f"bold underline {accent}".strip())
        except Exception:  # an accent Rich cannot parse (e.g. with alpha): no colour
            return Style(bold=True, underline=True)

    def _summary(self, text: Text) -> None:
        self.query_one("#search-summary", Static).update(text)

    # -- results ---------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#results")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._hits):
            hit = self._hits[event.option_index]
            self.post_message(OpenEntry(hit.entry.rel, hit.line_start))

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_focus_results(self) -> None:
        results = self.query_one("#results", OptionList)
        results.focus()
        if self._hits and results.highlighted is None:
            results.highlighted = 0
