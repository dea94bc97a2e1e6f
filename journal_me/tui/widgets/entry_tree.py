"""The journal's entries as a tree: year › month › entry, newest first, with counts.

Only years and months are built up front (a few hundred nodes for decades of writing); a
month's entries are added when it is expanded. Note pages (people/Sam.md…) and undated
notes go under "Notes" by folder. A conflict copy (``NAME.conflict-….md``) is not a second
entry: its original carries one "conflict" badge (the copy is listed itself only when the
original is gone). Labels are ``rich.text.Text`` of cleaned text: titles are never parsed as
markup, and escape sequences in them never reach the terminal.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from journal_me.tui.text import one_line

if TYPE_CHECKING:
    from journal_me.api import EntrySummary


@dataclass(frozen=True)
class TreeKey:
    kind: str  # year | month | entry | notes | folder
    year: int = 0
    month: int = 0
    rel: str = ""
    folder: str = ""


def _count(label: str, n: int) -> Text:
    return Text.assemble(label, (f"  {n}", "dim"))


CONFLICT_BADGE = "⚠ conflict"


def entry_label(s: EntrySummary, with_day: bool = True, conflicts: int = 0) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if conflicts or s.conflict_of is not None:
        text.append(f"{CONFLICT_BADGE} ", style="bold reverse")
    if with_day:
        text.append(s.date.strftime("%d %a  "), style="dim")
    text.append(one_line(s.title or s.rel))
    if s.private:
        text.append("  private", style="italic dim")
    return text


class EntryTree(Tree[TreeKey]):
    """Entries by year and month; emits :class:`EntryTree.EntryChosen` on enter/click."""

    class EntryChosen(Message):
        def __init__(self, rel: str) -> None:
            self.rel = rel
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Journal"), TreeKey("root"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self._months: dict[tuple[int, int], list[EntrySummary]] = {}
        self._notes: dict[str, list[EntrySummary]] = {}
        self._conflicts: dict[str, list[str]] = {}  # original rel -> its conflict copies
        self._loaded = False

    # -- building --------------------------------------------------------------------------
    def set_entries(self, summaries: Sequence[EntrySummary]) -> None:
        """(Re)build years and months; keeps what was expanded and where the cursor was."""
        months: dict[tuple[int, int], list[EntrySummary]] = defaultdict(list)
        notes: dict[str, list[EntrySummary]] = defaultdict(list)
        present = {s.rel for s in summaries}
        conflicts: dict[str, list[str]] = defaultdict(list)
        for s in summaries:
            if s.conflict_of is not None and s.conflict_of in present:
                conflicts[s.conflict_of].append(s.rel)  # a badge on the original, not a row
                continue
            if s.note or s.undated:
                folder = s.rel.rsplit("/", 1)[0] if "/" in s.rel else "."
                notes[folder].append(s)
            else:
                months[(s.date.year, s.date.month)].append(s)
        for items in months.values():
            items.sort(key=lambda s: (s.date, s.rel), reverse=True)
        for items in notes.values():
            items.sort(key=lambda s: s.title.lower())

        expanded = self._expanded_keys()
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        first = not self._loaded
        self._months, self._notes, self._loaded = dict(months), dict(notes), True
        self._conflicts = {rel: sorted(copies) for rel, copies in conflicts.items()}

        self.clear()
        years: dict[int, int] = defaultdict(int)
        for (year, _m), items in months.items():
            years[year] += len(items)
        newest_year = max(years, default=None)
        target: TreeNode[TreeKey] | None = None
        for year in sorted(years, reverse=True):
            ykey = TreeKey("year", year)
            open_year = ykey in expanded or (first and year == newest_year)
            ynode = self.root.add(_count(str(year), years[year]), ykey, expand=open_year)
            for y, m in sorted((k for k in months if k[0] == year), reverse=True):
                mkey = TreeKey("month", y, m)
                mnode = ynode.add(_count(calendar.month_name[m], len(months[(y, m)])), mkey)
                if mkey in expanded:
                    self._fill_month(mnode)
                    mnode.expand()
                if cursor == mkey:
                    target = mnode
            if cursor == ykey:
                target = ynode
        if notes:
            nkey = TreeKey("notes")
            nnode = self.root.add(
                _count("Notes", sum(len(v) for v in notes.values())), nkey, expand=nkey in expanded
            )
            for folder in sorted(notes):
                fkey = TreeKey("folder", folder=folder)
                fnode = nnode.add(_count(one_line(folder), len(notes[folder])), fkey)
                if fkey in expanded:
                    self._fill_folder(fnode)
                    fnode.expand()
        if cursor is not None and cursor.kind in {"entry"}:
            self.reveal(cursor.rel, select=False)
        elif target is not None:
            self.call_after_refresh(self.move_cursor, target)

    def _expanded_keys(self) -> set[TreeKey]:
        out: set[TreeKey] = set()
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.is_expanded and node.data is not None:
                out.add(node.data)
                stack.extend(node.children)
        return out

    def _fill_month(self, node: TreeNode[TreeKey]) -> None:
        key = node.data
        if key is None or node.children:
            return
        for s in self._months.get((key.year, key.month), []):
            node.add_leaf(self._label(s), TreeKey("entry", rel=s.rel))

    def _fill_folder(self, node: TreeNode[TreeKey]) -> None:
        key = node.data
        if key is None or node.children:
            return
        for s in self._notes.get(key.folder, []):
            node.add_leaf(self._label(s, with_day=False), TreeKey("entry", rel=s.rel))

    def _label(self, s: EntrySummary, with_day: bool = True) -> Text:
        return entry_label(s, with_day, len(self._conflicts.get(s.rel, ())))

    def conflict_copies(self, rel: str) -> list[str]:
        """The conflict copies waiting beside ``rel`` (the copy itself if ``rel`` is one)."""
        return list(self._conflicts.get(rel, ()))

    # -- events ----------------------------------------------------------------------------
    @on(Tree.NodeExpanded)
    def _lazy_load(self, event: Tree.NodeExpanded[TreeKey]) -> None:
        key = event.node.data
        if key is None:
            return
        if key.kind == "month":
            self._fill_month(event.node)
        elif key.kind == "folder":
            self._fill_folder(event.node)

    @on(Tree.NodeSelected)
    def _chosen(self, event: Tree.NodeSelected[TreeKey]) -> None:
        key = event.node.data
        if key is not None and key.kind == "entry":
            event.stop()
            self.post_message(self.EntryChosen(key.rel))

    # -- navigation ------------------------------------------------------------------------
    def reveal(self, rel: str, *, select: bool = False) -> bool:
        """Expand the entry's month (or folder) and put the cursor on it."""
        parent: TreeNode[TreeKey] | None = None
        for (y, m), items in self._months.items():
            if any(s.rel == rel for s in items):
                parent = self._find(TreeKey("month", y, m))
                if parent is not None and parent.parent is not None:
                    parent.parent.expand()
                break
        else:
            for folder, items in self._notes.items():
                if any(s.rel == rel for s in items):
                    notes = self._find(TreeKey("notes"))
                    if notes is not None:
                        notes.expand()
                    parent = self._find(TreeKey("folder", folder=folder))
                    break
        if parent is None:
            return False
        if parent.data is not None and parent.data.kind == "month":
            self._fill_month(parent)
        else:
            self._fill_folder(parent)
        parent.expand()
        for child in parent.children:
            if child.data is not None and child.data.rel == rel:
                if select:
                    self.call_after_refresh(self.select_node, child)
                else:
                    self.call_after_refresh(self.move_cursor, child)
                return True
        return False

    def _find(self, key: TreeKey) -> TreeNode[TreeKey] | None:
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.data == key:
                return node
            if node.data is not None and node.data.kind in {"year", "notes"}:
                stack.extend(node.children)
        return None

    def months_with_entries(self) -> dict[tuple[int, int], int]:
        return {k: len(v) for k, v in self._months.items()}

    def days_with_entries(self, year: int, month: int) -> set[dt.date]:
        return {s.date for s in self._months.get((year, month), [])}
