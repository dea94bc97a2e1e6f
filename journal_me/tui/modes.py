"""The app's screens, as Textual modes. This list is the one place to add a screen.

Each entry gives a mode name, its tab label, its default key (the binding id is
``goto-<name>``, remappable in the config's ``[keymap]``) and the screen class. The app
derives its ``MODES``, the tabs, the bindings and the palette commands from it.

To add a screen: write a ``MainScreen`` subclass in ``screens/`` with ``MODE = "name"`` and
append a ``ModeSpec``; F5/F6 are used inside screens, F2-F4 and F7-F9 switch screens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from journal_me.tui.screens.bridge import BridgeScreen
from journal_me.tui.screens.chat import ChatScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.life import LifeScreen
from journal_me.tui.screens.network import NetworkScreen
from journal_me.tui.screens.people import PeopleScreen
from journal_me.tui.screens.practice import PracticeScreen
from journal_me.tui.screens.search import SearchScreen
from journal_me.tui.screens.tasks import TasksScreen
from journal_me.tui.screens.training import TrainingScreen


@dataclass(frozen=True)
class ModeSpec:
    name: str
    label: str
    key: str
    screen: Callable[[], Screen[None]]
    description: str
    short: str = ""  # footer label; the tab label when empty

    @property
    def key_label(self) -> str:
        return self.short or self.label


MODE_SPECS: tuple[ModeSpec, ...] = (
    ModeSpec("journal", "Journal", "f2", JournalScreen, "write and read entries"),
    ModeSpec("search", "Search", "f3,ctrl+f", SearchScreen, "search the journal"),
    ModeSpec("people", "People & topics", "f4", PeopleScreen, "people, places and topics", "People"),
    ModeSpec("chat", "Chat", "f7", ChatScreen, "talk with your past self"),
    ModeSpec("bridge", "Bridge", "f8", BridgeScreen, "drafts as you: reply, enhance, critic"),
    ModeSpec("training", "Training", "f9", TrainingScreen, "the nightly fine-tune"),
    ModeSpec("life", "Life", "f11", LifeScreen, "metrics you track: charts, what goes with them"),
    ModeSpec("network", "Network", "f10", NetworkScreen, "friends' second mes: outbox, peers, log", "Net"),
    ModeSpec("practice", "Practice", "ctrl+k", PracticeScreen, "interview practice and study cards"),
    ModeSpec("tasks", "Tasks", "ctrl+y", TasksScreen, "open tasks from your entries, due first"),
)

DEFAULT_MODE = "journal"
