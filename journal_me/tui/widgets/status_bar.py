"""One line at the bottom: vault, entry count, watch/index state, warnings, the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from journal_me.tui.widgets.model_status import ModelStatus

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp


class StatusBar(Horizontal):
    """Follows the app's ``status_text``, ``entry_count`` and ``warning_count``."""

    def compose(self) -> ComposeResult:
        yield Static(id="status-watch")
        yield Static(id="status-entries")
        yield Static(id="status-warnings")
        yield ModelStatus(id="status-model")
        yield Static(id="status-vault")

    @property
    def jm(self) -> JournalMeApp:
        return cast("JournalMeApp", self.app)

    def on_mount(self) -> None:
        app = self.jm
        self.watch(app, "status_text", self._status, init=True)
        self.watch(app, "entry_count", self._entries, init=True)
        self.watch(app, "warning_count", self._warnings, init=True)
        self.query_one("#status-vault", Static).update(Text(app.vault_label, style="dim"))

    def _status(self, value: str) -> None:
        self.query_one("#status-watch", Static).update(Text(value))

    def _entries(self, value: int) -> None:
        label = "entry" if value == 1 else "entries"
        self.query_one("#status-entries", Static).update(Text(f"{value} {label}"))

    def _warnings(self, value: int) -> None:
        widget = self.query_one("#status-warnings", Static)
        widget.set_class(value > 0, "-has-warnings")
        widget.update(Text(f"{value} warning{'s' if value != 1 else ''}" if value else "no warnings"))

    def on_click(self, event: object) -> None:
        self.jm.show_warnings()
