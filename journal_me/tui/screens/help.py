"""`?` — the keys of the screen you came from (as remapped by your config) and how to remap."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

INTRO = (
    "journal-me: write in the Journal screen (autosaves ~1 s after you stop typing), find "
    "anything in Search, see who and what you write about in People. ctrl+p opens the "
    "command palette (open an entry by title, switch theme, …)."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help-close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]], config_hint: str) -> None:
        super().__init__()
        self.rows = rows
        self.config_hint = config_hint

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Text("Help", style="bold"), id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static(Text(self.config_hint, style="dim"), id="help-config")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Binding id")
        for key, description, binding_id in self.rows:
            table.add_row(Text(key, style="bold"), Text(description), Text(binding_id, style="dim"))
        table.focus()
