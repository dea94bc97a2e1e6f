"""What every main screen shares: the mode tabs on top, the status bar and footer below,
and a hook called when the vault (re)loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from journal_me.tui.widgets.mode_tabs import ModeTabs
from journal_me.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp


class MainScreen(Screen[None]):
    """A screen of the mode switcher (``MODE`` is its mode name)."""

    MODE: ClassVar[str] = ""

    @property
    def jm(self) -> JournalMeApp:
        return cast("JournalMeApp", self.app)

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield ModeTabs(self.MODE)
            yield Static(self.jm.title_text(), id="app-title")
        yield from self.compose_body()
        yield StatusBar(id="status-bar")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.jm.vault_changed.subscribe(self, self._vault_changed)
        if self.jm.ready:
            self.call_after_refresh(self.vault_ready, "opened")

    def _vault_changed(self, reason: str) -> None:
        self.vault_ready(reason)

    def vault_ready(self, reason: str) -> None:
        """The journal is open (``reason`` "opened") or its entries changed ("indexed")."""
