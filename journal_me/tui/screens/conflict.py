"""Resolve a conflict copy: keep mine (the copy), keep theirs (the file on disk), or open both.

"Mine" is ``NAME.conflict-….md``: the text this editor (or a sync client) could not write over
a version that had changed meanwhile. "Theirs" is ``NAME.md`` as it is on disk now. The
dialog only asks; the journal screen calls ``Journal.resolve_conflict``."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from journal_me.termsafe import clean

Choice = Literal["mine", "theirs", "both"]


class ConflictScreen(ModalScreen[Choice | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="conflict-cancel")]

    def __init__(self, original_rel: str, copy_rel: str) -> None:
        super().__init__()
        self.original_rel = original_rel
        self.copy_rel = copy_rel

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-dialog"):
            yield Static(Text("Two versions of one entry", style="bold"), id="conflict-title")
            yield Static(
                Text.assemble(
                    ("Theirs", "bold"),
                    " (on disk): ",
                    clean(self.original_rel),
                    "\n",
                    ("Mine", "bold"),
                    " (the copy): ",
                    clean(self.copy_rel),
                    "\n\nKeeping one deletes the other file. Until then the copy stays out of "
                    "bridge and training.",
                ),
                id="conflict-text",
            )
            with Horizontal(id="conflict-buttons"):
                yield Button("Keep mine", id="conflict-mine", variant="primary", compact=True)
                yield Button("Keep theirs", id="conflict-theirs", compact=True)
                yield Button("Open both", id="conflict-both", compact=True)
                yield Button("Cancel", id="conflict-cancel-button", compact=True)

    def on_mount(self) -> None:
        self.query_one("#conflict-both", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice: dict[str | None, Choice] = {
            "conflict-mine": "mine",
            "conflict-theirs": "theirs",
            "conflict-both": "both",
        }
        self.dismiss(choice.get(event.button.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
