"""ctrl+t follows the vault's daily-notes settings (issue 9.4): it reuses the day's note
wherever it is, and a new one goes where Obsidian would put it — never a second note."""

from __future__ import annotations

import json
from collections.abc import Callable

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen

from .conftest import SIZE, TODAY, settle, wait_until

DAILY = f"Daily/{TODAY:%d-%m-%Y}.md"


def obsidian_daily_notes(settings: Settings) -> None:
    folder = settings.vault / ".obsidian"
    folder.mkdir(exist_ok=True)
    (folder / "daily-notes.json").write_text(
        json.dumps({"folder": "Daily", "format": "DD-MM-YYYY"}), encoding="utf-8"
    )


async def test_ctrl_t_reuses_the_daily_note_where_obsidian_keeps_it(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    obsidian_daily_notes(settings)
    (settings.vault / "Daily").mkdir()
    (settings.vault / DAILY).write_text("Morning: coffee with Sam.\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.backend.summary(DAILY) is not None, what="indexed")
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None and screen.editor.doc.rel == DAILY
        assert not screen.editor.doc.draft
        assert not (settings.vault / "journal/2026" / f"{TODAY.isoformat()}.md").exists()


async def test_ctrl_t_starts_a_new_daily_note_in_the_daily_folder(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    obsidian_daily_notes(settings)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None and screen.editor.doc.draft
        assert screen.editor.doc.rel == DAILY
        await pilot.press(*"Evening pages.")
        await wait_until(pilot, (settings.vault / DAILY).exists, what="saved")
