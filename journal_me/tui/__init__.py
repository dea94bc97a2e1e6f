"""The Textual TUI: the only part of journal-me that imports Textual."""

from __future__ import annotations

from journal_me.config import Settings

__all__ = ["run_tui"]


def run_tui(settings: Settings) -> int:
    """Open the TUI on ``settings.vault``; returns the exit code."""
    import sys

    if not settings.vault.is_dir():
        print(
            f"journal-me: vault folder not found: {settings.vault}\n"
            "  create it (mkdir -p it), or point --vault / $JOURNAL_ME_VAULT / `vault` in the "
            "config at your journal folder",
            file=sys.stderr,
        )
        return 2
    from journal_me.tui.app import JournalMeApp

    app = JournalMeApp(settings)
    result = app.run()
    return int(result or 0)
