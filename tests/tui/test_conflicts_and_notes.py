"""Conflict copies and undated notes in the journal screen (issue 9.5 and 9.4): a copy is one
badge on its original in the tree, not a second entry; f12 (or the palette) resolves it —
keep mine / keep theirs / open both — through ``Journal.resolve_conflict``. Notes without a
date sit under "Notes", not in the month they were checked out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Button

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.conflict import ConflictScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.entry_tree import CONFLICT_BADGE, EntryTree, TreeKey

from .conftest import SIZE, settle, wait_until

ORIGINAL = "journal/2026/2026-10-31.md"  # open at start
COPY = "journal/2026/2026-10-31.conflict-20261101-120000.md"
MINE = "---\ntitle: A year, looking back\n---\nMINE: the version the phone wrote.\n"
UNDATED = "ideas/Someday list.md"


def month_rows(tree: EntryTree, year: int, month: int) -> list[tuple[str, str]]:
    """(rel, label) of the entries under a month (expanding it)."""
    node = tree._find(TreeKey("month", year, month))
    assert node is not None
    tree._fill_month(node)
    return [(c.data.rel, str(c.label)) for c in node.children if c.data is not None]


@pytest.fixture
def conflicted(settings: Settings) -> Settings:
    (settings.vault / COPY).write_text(MINE, encoding="utf-8")
    return settings


async def _start(app: JournalMeApp, pilot: Any) -> JournalScreen:
    await settle(pilot)
    await wait_until(pilot, lambda: app.backend.summary(COPY) is not None, what="copy indexed")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, JournalScreen)
    return screen


async def test_conflict_copy_is_one_badge_not_a_second_entry(
    make_app: Callable[..., JournalMeApp], conflicted: Settings
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _start(app, pilot)
        assert app.backend.summary(COPY).conflict_of == ORIGINAL
        rows = month_rows(screen.entry_tree, 2026, 10)
        assert COPY not in [rel for rel, _ in rows]
        assert len(rows) == 14  # the sample vault's October 2026 entries, as without the copy
        labels = [label for rel, label in rows if rel == ORIGINAL]
        assert len(labels) == 1 and CONFLICT_BADGE in labels[0]
        assert sum(CONFLICT_BADGE in label for _, label in rows) == 1


async def _resolve(pilot: Any, app: JournalMeApp, button: str) -> None:
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), what="dialog")
    app.screen.query_one(f"#{button}", Button).press()
    await settle(pilot)


async def test_keep_mine_replaces_the_original_and_removes_the_copy(
    make_app: Callable[..., JournalMeApp], conflicted: Settings
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _start(app, pilot)
        assert screen.editor.doc is not None and screen.editor.doc.rel == ORIGINAL
        await _resolve(pilot, app, "conflict-mine")
        await wait_until(pilot, lambda: not (conflicted.vault / COPY).exists(), what="copy gone")
        await wait_until(pilot, lambda: "MINE:" in screen.editor.text, what="editor reloaded")
        assert (conflicted.vault / ORIGINAL).read_text(encoding="utf-8") == MINE
        await wait_until(pilot, lambda: app.backend.summary(COPY) is None, what="list refreshed")
        await settle(pilot)
        assert not any(CONFLICT_BADGE in label for _, label in month_rows(screen.entry_tree, 2026, 10))


async def test_keep_theirs_and_open_both(make_app: Callable[..., JournalMeApp], conflicted: Settings) -> None:
    before = (conflicted.vault / ORIGINAL).read_bytes()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _start(app, pilot)
        # open both: the original, and ctrl+l switches to the copy and back
        await _resolve(pilot, app, "conflict-both")
        assert screen.editor.doc is not None and screen.editor.doc.rel == ORIGINAL
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen.editor.doc.rel == COPY and "MINE:" in screen.editor.text
        # from the copy: keep theirs
        await _resolve(pilot, app, "conflict-theirs")
        await wait_until(pilot, lambda: not (conflicted.vault / COPY).exists(), what="copy gone")
        await settle(pilot)
        assert (conflicted.vault / ORIGINAL).read_bytes() == before
        assert screen.editor.doc is not None and screen.editor.doc.rel == ORIGINAL


async def test_undated_notes_sit_under_notes(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / UNDATED
    path.parent.mkdir()
    path.write_text("Learn the cello. Walk the West Highland Way.\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.backend.summary(UNDATED) is not None, what="indexed")
        summary = app.backend.summary(UNDATED)
        assert summary is not None and summary.undated
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        # the newest dated entry opens at start, not the note (its file time is newer)
        assert screen.editor.doc is not None and screen.editor.doc.rel == ORIGINAL
        tree = screen.entry_tree
        await settle(pilot)
        # not in the month of its file time…
        for (year, month), items in tree._months.items():
            assert UNDATED not in [s.rel for s in items], (year, month)
        # …but under Notes › ideas
        assert UNDATED in [s.rel for s in tree._notes.get("ideas", [])]
        assert tree.reveal(UNDATED)


async def test_keep_mine_that_drops_private_asks_first(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    private = "journal/2026/2026-10-16.md"  # private: true
    copy = "journal/2026/2026-10-16.conflict-20261101-120000.md"
    (settings.vault / copy).write_text("No front matter: public now.\n", encoding="utf-8")
    before = (settings.vault / private).read_bytes()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.backend.summary(copy) is not None, what="copy indexed")
        app.open_entry(private)
        await settle(pilot)
        await _resolve(pilot, app, "conflict-mine")
        await wait_until(pilot, lambda: isinstance(app.screen, AskDialog), what="asked")
        assert (settings.vault / private).read_bytes() == before  # nothing yet
        assert (settings.vault / copy).exists()
        app.screen.query_one("#ask-yes", Button).press()
        await wait_until(pilot, lambda: not (settings.vault / copy).exists(), what="resolved")
        assert (settings.vault / private).read_text(encoding="utf-8") == "No front matter: public now.\n"
