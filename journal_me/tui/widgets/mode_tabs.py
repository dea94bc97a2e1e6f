"""Tabs naming the app's screens (Textual modes); click or use their keys to switch."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.widgets import Tab, Tabs

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp


class ModeTabs(Tabs):
    """One tab per entry of ``journal_me.tui.modes.MODE_SPECS``."""

    def __init__(self, active: str) -> None:
        from journal_me.tui.modes import MODE_SPECS

        super().__init__(
            *(Tab(spec.label, id=f"mode-{spec.name}") for spec in MODE_SPECS),
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
