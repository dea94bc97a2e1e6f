"""Importing one screen or widget must not import its siblings (the packages re-export
nothing: the re-exports were unused and pulled every screen in behind any one)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_one_widget_does_not_import_the_screens() -> None:
    code = (
        "import sys, journal_me.tui.widgets.month_grid, journal_me.tui.screens.help;"
        "print(sorted(m for m in sys.modules if m.startswith('journal_me.tui.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "journal_me.tui.screens.journal" not in out
    assert "journal_me.tui.widgets.editor" not in out
