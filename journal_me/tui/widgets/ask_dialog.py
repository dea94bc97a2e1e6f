"""A small modal question: a line of text to type (rename, export path) or just yes / no.

Dismisses with the text typed (``""`` for a plain yes) or ``None`` when cancelled. Texts are
plain (never parsed as markup): they quote titles and paths. Where a typed path points is
``journal_me.exports.resolve_output``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class AskDialog(ModalScreen[str | None]):
    """``value=None``: a yes/no question; otherwise an input pre-filled with ``value``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="ask-cancel"),
    ]

    def __init__(
        self,
        title: str,
        body: str = "",
        *,
        value: str | None = None,
        placeholder: str = "",
        yes: str = "OK",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.value = value
        self.placeholder = placeholder
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-dialog"):
            yield Static(Text(self.title_text, style="bold"), id="ask-title")
            if self.body:
                yield Static(Text(self.body), id="ask-body")
            if self.value is not None:
                yield Input(self.value, placeholder=self.placeholder, id="ask-input")
            with Horizontal(id="ask-buttons"):
                yield Button(self.yes, variant="primary", id="ask-yes")
                yield Button("Cancel", id="ask-no")

    def on_mount(self) -> None:
        if self.value is not None:
            self.query_one("#ask-input", Input).focus()
        else:
            self.query_one("#ask-yes", Button).focus()

    def _answer(self) -> str:
        return self.query_one("#ask-input", Input).value if self.value is not None else ""

    @on(Input.Submitted, "#ask-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._answer())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._answer() if event.button.id == "ask-yes" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
