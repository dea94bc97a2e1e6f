"""Widgets of the TUI."""

from journal_me.tui.widgets.editor import EntryEditor
from journal_me.tui.widgets.entry_tree import EntryTree
from journal_me.tui.widgets.mode_tabs import ModeTabs
from journal_me.tui.widgets.month_grid import MonthGrid
from journal_me.tui.widgets.side_panel import SidePanel
from journal_me.tui.widgets.status_bar import StatusBar
from journal_me.tui.widgets.timeline import MentionTimeline

__all__ = [
    "EntryEditor",
    "EntryTree",
    "MentionTimeline",
    "ModeTabs",
    "MonthGrid",
    "SidePanel",
    "StatusBar",
]
