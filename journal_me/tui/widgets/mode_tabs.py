"""Tabs naming the app's screens (Textual modes); click or use their keys to switch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from textual import on
from textual.widgets import Tab, Tabs

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp


class ModeTabs(Tabs):
    """One tab per mode: ``modes`` is (mode name, tab label) in order (the screen passes the
    app's ``MODE_SPECS``; a widget does not import the screens that hold it)."""

    def __init__(self, active: str, modes: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            *(Tab(label, id=f"mode-{name}") for name, label in modes),
            active=f"mode-{active}",
            id="mode-tabs",
        )
        self._mode = active

    @on(Tabs.TabActivated)
    def _switch(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab_id = event.tab.id or ""
        mode = tab_id.removeprefix("mode-")
        if mode and mode != self._mode:
            # keep this screen's tab on its own mode; the target screen shows its own tab
            self.active = f"mode-{self._mode}"
            app = cast("JournalMeApp", self.app)
            app.call_later(app.switch_mode, mode)
