"""The Textual TUI: the only part of journal-me that imports Textual."""

from __future__ import annotations

from dataclasses import replace

from journal_me.config import Settings

__all__ = ["run_tui"]


def run_tui(settings: Settings) -> int:
    """Open the TUI on ``settings.vault``; returns the exit code."""
    import sys

    if not settings.vault.is_dir():
        if settings.vault.exists():
            what = "a file" if settings.vault.is_file() else "not a folder"
            print(
                f"journal-me: the vault {settings.vault} is {what}; point --vault / "
                "$JOURNAL_ME_VAULT / `vault` in the config at your journal folder",
                file=sys.stderr,
            )
            return 2
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            print(
                f"journal-me: vault folder not found: {settings.vault}\n"
                "  create it with `journal-me init [PATH]`, or point --vault / $JOURNAL_ME_VAULT"
                " / `vault` in the config at your journal folder",
                file=sys.stderr,
            )
            return 2
        from journal_me.tui.first_run import FirstRunApp

        created = FirstRunApp(settings).run()
        if created is None:
            return 2
        settings = replace(settings, vault=created)
    from journal_me.tui.app import JournalMeApp

    app = JournalMeApp(settings)
    result = app.run()
    return int(result or 0)
