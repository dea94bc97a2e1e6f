"""Screens: the three main ones are modes (see ``journal_me.tui.modes``); help and jump are
modal dialogs."""

from journal_me.tui.screens.help import HelpScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.jump import JumpScreen
from journal_me.tui.screens.people import PeopleScreen
from journal_me.tui.screens.search import SearchScreen

__all__ = ["HelpScreen", "JournalScreen", "JumpScreen", "PeopleScreen", "SearchScreen"]
