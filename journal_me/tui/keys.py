"""Binding ids: every key of the TUI has one, so ``[keymap]`` in the config can remap it
(``goto-search = "ctrl+s"``); the help screen lists them."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


def binding_ids() -> set[str]:
    """Every binding id of the app and its screens (the names ``[keymap]`` accepts)."""
    from journal_me.tui.app import JournalMeApp
    from journal_me.tui.modes import MODE_SPECS
    from journal_me.tui.screens.chat import ChatList
    from journal_me.tui.screens.conflict import ConflictScreen
    from journal_me.tui.screens.help import HelpScreen
    from journal_me.tui.screens.jump import JumpScreen
    from journal_me.tui.screens.profile import ProfileScreen
    from journal_me.tui.widgets.ask_dialog import AskDialog
    from journal_me.tui.widgets.editor import EntryText
    from journal_me.tui.widgets.month_grid import MonthGrid

    classes: list[type[Any]] = [
        JournalMeApp,
        HelpScreen,
        JumpScreen,
        MonthGrid,
        ChatList,
        ProfileScreen,
        AskDialog,
        EntryText,
        ConflictScreen,
    ]
    classes += [spec.screen for spec in MODE_SPECS if isinstance(spec.screen, type)]
    ids: set[str] = set()
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def help_rows(app: App[Any], screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(key as shown, what it does, binding id) for the keys active on ``screen``, the
    remappable ones (with an id) first. Keys reflect the user's keymap."""
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not binding.description:
            continue
        ident = binding.id or ""
        if (ident or binding.description) in seen:
            continue
        seen.add(ident or binding.description)
        rows.append((app.get_key_display(binding), binding.description, ident))
    rows.sort(key=lambda row: row[2] == "")
    return rows
