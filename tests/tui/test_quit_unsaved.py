"""Quitting with unsaved edits whose save fails (disk full, permissions) never exits silently:
the text goes to a recovery copy in the data dir and the exit message says where; when even
that cannot be written, the app stays open and says why (issue 9.1)."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen

from .conftest import SIZE, settle

REL = "journal/2026/2026-10-31.md"  # the entry open at start


def disk_full(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise OSError(errno.ENOSPC, "No space left on device")


def permission_denied(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise PermissionError(errno.EACCES, "Permission denied")


async def _type_unsaved(app: JournalMeApp, pilot: Any) -> None:
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, JournalScreen)
    assert screen.editor.doc is not None and screen.editor.doc.rel == REL
    screen.editor.text_area.focus()
    await pilot.press(*"UNSAVED WORDS")
    assert screen.editor.dirty


@pytest.mark.parametrize("failure", [disk_full, permission_denied], ids=["disk-full", "permissions"])
async def test_quit_with_failed_save_writes_a_recovery_copy_and_says_where(
    make_app: Callable[..., JournalMeApp],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[..., NoReturn],
) -> None:
    path = settings.vault / REL
    before = path.read_bytes()
    app = make_app(autosave_delay=60)  # the edit is still unsaved when ctrl+q comes
    messages: list[Any] = []
    real_exit = app.exit

    def exit_(*args: Any, **kwargs: Any) -> None:
        messages.append(kwargs.get("message"))
        real_exit(*args, **kwargs)

    monkeypatch.setattr(app, "exit", exit_)
    async with app.run_test(size=SIZE) as pilot:
        await _type_unsaved(app, pilot)
        assert app.journal is not None
        monkeypatch.setattr(app.journal._vault, "save", failure)  # the write itself fails
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 1
    assert path.read_bytes() == before
    recovery = list(settings.vault_data_dir.rglob("recovery/*.md"))
    assert len(recovery) == 1
    assert "UNSAVED WORDS" in recovery[0].read_text(encoding="utf-8")
    said = str(messages[-1])
    assert str(recovery[0]) in said and REL in said
    assert ("No space left" in said) or ("Permission denied" in said)


async def test_quit_stays_open_when_even_the_recovery_copy_fails(
    make_app: Callable[..., JournalMeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(autosave_delay=60)
    async with app.run_test(size=SIZE) as pilot:
        await _type_unsaved(app, pilot)
        assert app.journal is not None
        monkeypatch.setattr(app.journal._vault, "save", disk_full)
        monkeypatch.setattr(app.journal, "write_recovery_copy", disk_full)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.is_running and app.return_code is None
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert "UNSAVED WORDS" in screen.editor.text and screen.editor.dirty
        shown = [n for n in app._notifications if n.title == "Not saved: not quitting"]
        assert shown and "No space left" in shown[-1].message

        # the cause fixed (space freed): quitting saves and exits normally
        del app.journal._vault.save, app.journal.write_recovery_copy  # back to the real ones
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
