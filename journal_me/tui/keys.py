"""Binding ids: every key of the TUI has one, so ``[keymap]`` in the config can remap it
(``goto-search = "ctrl+s"``); the help screen lists them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


def binding_ids(classes: Iterable[type[Any]]) -> set[str]:
    """Every binding id of ``classes`` (the app's ``bindable_classes()``: the names
    ``[keymap]`` accepts). The classes are passed in: this module imports no screen."""
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
