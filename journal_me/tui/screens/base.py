"""What every main screen shares: the mode tabs on top, the status bar and footer below,
and a hook called when the vault (re)loads.

Small terminals (80×24 and up) stay usable: below ``NARROW`` columns the screen gets the
``-narrow`` class (screens hide or shrink their side panels), the app title goes, the tabs
carry their keys (short labels) instead of the footer, and the footer is compact."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static, Tab

from journal_me.tui.widgets.mode_tabs import ModeTabs
from journal_me.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp


NARROW = 110  # columns: below this, side panels give way to the main view
TAB_PADDING = 2  # a Tab's own padding around its label (Textual's default CSS)


class MainScreen(Screen[None]):
    """A screen of the mode switcher (``MODE`` is its mode name)."""

    MODE: ClassVar[str] = ""
    # binding ids off the footer when narrow (f1 and ctrl+p list them; ctrl+p is docked right)
    NARROW_HIDDEN: ClassVar[frozenset[str]] = frozenset(
        {"new-entry", "external-editor", "command-palette", "today", "jump-to-date"}
    )
    narrow: bool | None = None  # None until the first resize

    @property
    def jm(self) -> JournalMeApp:
        return cast("JournalMeApp", self.app)

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield ModeTabs(self.MODE, [(spec.name, spec.label) for spec in self.jm.MODE_SPECS])
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

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        self._label_tabs(narrow, event.size.width)
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self.set_class(narrow, "-narrow")
        for footer in self.query(Footer):
            footer.compact = narrow
        self.refresh_bindings()
        self.layout_changed(narrow)

    def _label_tabs(self, narrow: bool, width: int) -> None:
        """Wide: the tabs' names. Narrow: each tab carries its key ("f3 Search"); when that
        row is wider than the screen, the other screens' tabs show only their keys (f1 lists
        what they open) so every tab stays on screen."""
        keys: dict[str, str] = {}
        for active in super().active_bindings.values():
            if active.binding.id and active.binding.id not in keys:
                keys[active.binding.id] = self.app.get_key_display(active.binding)
        labels: dict[str, str] = {}
        for spec in self.jm.MODE_SPECS:
            key = keys.get(f"goto-{spec.name}")
            labels[spec.name] = f"{key} {spec.key_label}" if narrow and key else spec.label
        if narrow and sum(len(label) + TAB_PADDING for label in labels.values()) > width:
            for spec in self.jm.MODE_SPECS:
                key = keys.get(f"goto-{spec.name}")
                if key and spec.name != self.MODE:
                    labels[spec.name] = key
        for name, label in labels.items():
            for tab in self.query(f"#mode-{name}").results(Tab):
                if str(tab.label) != label:
                    tab.label = label

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Narrow: the screen-switch keys leave the footer (the tabs show them), and so do
        a few others (f1 and ctrl+p list every key)."""
        bindings = super().active_bindings
        if not self.narrow:
            return bindings
        return {
            key: (
                active._replace(binding=replace(active.binding, show=False))
                if (active.binding.id or "").startswith("goto-") or active.binding.id in self.NARROW_HIDDEN
                else active
            )
            for key, active in bindings.items()
        }

    def layout_changed(self, narrow: bool) -> None:
        """The screen crossed the ``NARROW`` width: show or hide side panels."""

    def _vault_changed(self, reason: str) -> None:
        self.vault_ready(reason)

    def vault_ready(self, reason: str) -> None:
        """The journal is open (``reason`` "opened") or its entries changed ("indexed")."""
