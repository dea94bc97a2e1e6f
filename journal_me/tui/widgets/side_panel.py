"""The journal screen's side panel: the open entry's people/topics and related entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList

from journal_me.tui.messages import OpenEntity, OpenEntry
from journal_me.tui.text import one_line
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.api import Journal, RelatedEntry

PROMPT_WIDTH = 28
TYPE_ORDER = {"person": 0, "pet": 1, "place": 2, "org": 3, "topic": 4, "tag": 5}


def _fit(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


def entity_prompt(name: str, kind: str, width: int = PROMPT_WIDTH) -> Text:
    return _fit(Text.assemble(one_line(name), (f"  {kind}", "dim")), width)


def related_prompt(r: RelatedEntry, width: int = PROMPT_WIDTH) -> Text:
    head = Text.assemble((r.date.isoformat(), "dim"), "  ", one_line(r.title or r.rel))
    lines = [_fit(head, width)]
    if r.shared:
        lines.append(_fit(Text("  " + one_line(", ".join(r.shared[:3])), style="dim italic"), width))
    return Text("\n").join(lines)


class SidePanel(ReportsWorkerErrors, Vertical):
    """Shows what an entry mentions and what else it is linked to."""

    class _Loaded(Message):
        def __init__(self, rel: str, entities: list[tuple[str, str]], related: list[RelatedEntry]) -> None:
            self.rel, self.entities, self.related = rel, entities, related
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.journal: Journal | None = None
        self.entity_types: dict[str, str] = {}
        self.rel: str | None = None
        self._entities: list[str] = []
        self._related: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("People & topics", classes="panel-title")
        yield OptionList(id="side-entities", markup=False)
        yield Label("Related entries", classes="panel-title")
        yield OptionList(id="side-related", markup=False)

    def show(self, rel: str | None) -> None:
        self.rel = rel
        if rel is None or self.journal is None:
            self._apply([], [])
            return
        self._load(rel)

    @work(thread=True, exclusive=True, group="side-panel", exit_on_error=False)
    def _load(self, rel: str) -> None:
        journal = self.journal
        if journal is None:
            return
        names = journal.entities_in(rel)
        kinds = self.entity_types
        entities = sorted(
            ((n, kinds.get(n, "tag" if n.startswith("#") else "topic")) for n in names),
            key=lambda nk: (TYPE_ORDER.get(nk[1], 9), nk[0].lower()),
        )
        related = journal.related_entries(rel, limit=8)
        self.post_message(self._Loaded(rel, entities, related))

    @on(_Loaded)
    def _loaded(self, msg: _Loaded) -> None:
        if msg.rel == self.rel:
            self._apply(msg.entities, msg.related)

    def _apply(self, entities: list[tuple[str, str]], related: list[RelatedEntry]) -> None:
        ents = self.query_one("#side-entities", OptionList)
        rels = self.query_one("#side-related", OptionList)
        self._entities = [n for n, _ in entities]
        self._related = [r.rel for r in related]
        ents.set_options([entity_prompt(n, k) for n, k in entities])
        rels.set_options([related_prompt(r) for r in related])
        if not entities:  # a placeholder: its index matches nothing in self._entities
            ents.set_options([Text("none found", style="dim italic")])
        if not related:
            rels.set_options([Text("none found", style="dim italic")])

    @on(OptionList.OptionSelected, "#side-entities")
    def _entity(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._entities):
            self.post_message(OpenEntity(self._entities[event.option_index]))

    @on(OptionList.OptionSelected, "#side-related")
    def _related_entry(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._related):
            self.post_message(OpenEntry(self._related[event.option_index]))
