"""Entries changed on disk while open, bad files, and the watch loop's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen

from .conftest import SIZE, settle, wait_until

REL = "journal/2026/2026-10-31.md"  # the entry open at start (the newest)


async def test_unedited_entry_reloads_when_changed_on_disk(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    app = make_app(settings=replace(settings, debounce_ms=50), watch=True)
    path = settings.vault / REL
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.status_text == "watching", what="watching")
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None and screen.editor.doc.rel == REL

        path.write_text(path.read_text(encoding="utf-8") + "\nAdded in another editor.\n", encoding="utf-8")
        await wait_until(pilot, lambda: "Added in another editor." in screen.editor.text, what="reload")
        assert not screen.editor.dirty
        assert screen.editor.conflict is None
        assert any("reloaded" in n.message for n in app._notifications)


async def test_edited_entry_changed_on_disk_keeps_both(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    # a long autosave delay: the edit is still unsaved when the disk changes
    app = make_app(autosave_delay=30, disk_check_interval=0.1)
    path = settings.vault / REL
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        editor = screen.editor
        editor.text_area.focus()
        editor.text_area.move_cursor(editor.text_area.document.end)
        await pilot.press(*"MY UNSAVED LINE")
        assert editor.dirty

        theirs = path.read_text(encoding="utf-8") + "\nTHEIR CHANGE\n"
        path.write_text(theirs, encoding="utf-8")
        await wait_until(pilot, lambda: editor.conflict is not None, what="conflict")
        await settle(pilot)

        assert editor.conflict is not None
        disk_rel, mine_rel = editor.conflict
        assert disk_rel == REL
        assert mine_rel.startswith("journal/2026/2026-10-31.conflict-")
        # both versions are kept
        assert path.read_text(encoding="utf-8") == theirs
        mine = (settings.vault / mine_rel).read_text(encoding="utf-8")
        assert "MY UNSAVED LINE" in mine and "THEIR CHANGE" not in mine
        # you keep editing your version, and the banner and a notification name both files
        assert editor.doc is not None and editor.doc.rel == mine_rel
        banner = str(screen.query_one("#conflict-banner").render())
        assert REL in banner and mine_rel in banner
        assert any(REL in n.message and mine_rel in n.message for n in app._notifications)

        # ctrl+l opens the other version
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert editor.doc is not None and editor.doc.rel == REL
        assert "THEIR CHANGE" in editor.text


async def test_bad_file_is_a_notification_not_a_crash(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    (settings.vault / "journal" / "2026" / "2026-11-01.md").write_bytes(b"caf\xe9 \xff\xfe broken\n")
    app = make_app(settings=replace(settings, debounce_ms=50), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.warning_count == 1, what="warning")
        notes = [n for n in app._notifications if "2026-11-01.md" in n.message]
        assert notes and "UTF-8" in notes[0].message
        await wait_until(pilot, lambda: app.status_text == "watching", what="watching")

        # a second bad file appears while the app runs: the watch loop reports it too
        (settings.vault / "notes" / "binary.md").write_bytes(b"\x00\x01\x02" * 10)
        await wait_until(pilot, lambda: app.warning_count == 2, what="second warning")
        assert any("notes/binary.md" in n.message for n in app._notifications)
        assert app.is_running


async def test_opening_a_bad_file_reports_it(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    (settings.vault / "broken.md").write_bytes(b"\xff\xfe\xfa")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        screen.open_entry("broken.md")
        await settle(pilot)
        assert any("broken.md" in n.message for n in app._notifications)
        assert screen.editor.doc is not None and screen.editor.doc.rel == REL


async def test_missing_vault_is_reported(make_app: Callable[..., JournalMeApp], settings: Settings) -> None:
    app = make_app(settings=replace(settings, vault=settings.vault / "nope"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.status_text == "vault not open"
        assert any("vault folder not found" in n.message for n in app._notifications)


async def test_a_version_written_during_the_save_is_kept_and_you_keep_editing_yours(
    make_app: Callable[..., JournalMeApp], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another program writes the file in the instant between the save's check and its swap:
    # your text is saved at the entry, theirs is kept beside it, and you go on editing the
    # entry (not the copy, which holds their version)
    import journal_me.vault as vault_module

    path = settings.vault / REL
    real_swap = vault_module._swap_in
    raced: list[Path] = []

    def racing_swap(tmp: Path, target: Path) -> Path | None:
        if not raced:
            raced.append(target)
            target.write_text(target.read_text(encoding="utf-8") + "\nTHEIR LINE\n", encoding="utf-8")
        return real_swap(tmp, target)

    monkeypatch.setattr(vault_module, "_swap_in", racing_swap)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        editor = screen.editor
        editor.text_area.focus()
        editor.text_area.move_cursor(editor.text_area.document.end)
        await pilot.press(*"MY LINE")
        await wait_until(pilot, lambda: bool(raced), timeout=30, what="the save")
        await wait_until(
            pilot, lambda: any("theirs is kept" in n.message for n in app._notifications), timeout=30
        )
        await settle(pilot)
        assert raced
        assert "MY LINE" in path.read_text(encoding="utf-8")
        copies = sorted(path.parent.glob("2026-10-31.conflict-*.md"))
        assert len(copies) == 1
        theirs = copies[0].read_text(encoding="utf-8")
        assert "THEIR LINE" in theirs and "MY LINE" not in theirs
        assert editor.doc is not None and editor.doc.rel == REL and editor.conflict is None

        # the next edit saves over your own version: no second copy, theirs untouched
        await pilot.press(*" AGAIN")
        await wait_until(
            pilot, lambda: "MY LINE AGAIN" in path.read_text(encoding="utf-8"), timeout=30, what="resave"
        )
        await settle(pilot)
        assert sorted(path.parent.glob("2026-10-31.conflict-*.md")) == copies
        assert copies[0].read_text(encoding="utf-8") == theirs
