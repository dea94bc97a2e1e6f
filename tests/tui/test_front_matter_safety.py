"""The editor never damages front matter (issue 9.1): the cursor opens in the body whichever
way an entry is opened, ctrl+home/ctrl+end respect the front matter, and a save that would
break it or drop `private` waits for an answer (keep editing / save anyway / revert)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.search import SearchScreen
from journal_me.tui.widgets.editor import body_end, body_start
from journal_me.vault import Vault

from .conftest import SIZE, TODAY, settle, wait_until

PRIVATE_REL = "journal/2026/2026-10-16.md"  # title, tags: money, private: true
FRONT = re.compile(rb"\A---\r?\n.*?\r?\n---\r?\n", re.S)


def front_matter(path: Path) -> bytes:
    match = FRONT.match(path.read_bytes())
    assert match is not None, f"{path} lost its front matter"
    return match.group(0)


def still_private(settings: Settings, rel: str) -> bool:
    return Vault(settings.vault).read(rel).private


def journal_screen(app: JournalMeApp) -> JournalScreen:
    screen = app.screen
    assert isinstance(screen, JournalScreen)
    return screen


async def type_and_autosave(pilot: Pilot[Any], app: JournalMeApp, path: Path) -> None:
    """Type into the editor as a user would, then wait past the autosave."""
    editor = journal_screen(app).editor
    before = path.read_bytes()
    editor.text_area.focus()
    await pilot.press(*"Zq ")
    assert editor.dirty
    await wait_until(pilot, lambda: path.read_bytes() != before, what="autosave")
    await settle(pilot)
    assert not editor.dirty


def test_body_start_and_end() -> None:
    text = "---\ntitle: T\nprivate: true\n---\n\nFirst line.\nLast.\n"
    assert body_start(text) == (5, 0)
    assert body_end(text) == (7, 0)
    assert body_start("No front matter\n") == (0, 0)
    assert body_start("---\ntitle: T\n---\n") == (3, 0)  # blank body: just below the ---
    assert body_start("---\ntitle: T\n---") == (2, 3)  # no newline after it: its end
    assert body_end("---\ntitle: T\n---\n") == (3, 0)


async def test_private_entry_keeps_front_matter_by_tree_date_today_and_search(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / PRIVATE_REL
    fm = front_matter(path)
    # today's entry is private too (ctrl+t opens it with the cursor at the end of the body)
    today_rel = f"journal/2026/{TODAY.isoformat()}.md"
    today_path = settings.vault / today_rel
    today_path.write_text(
        "---\ntitle: Today, privately\nprivate: true\n---\n\nA secret about the heron.\n",
        encoding="utf-8",
    )
    today_fm = front_matter(today_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = journal_screen(app)
        editor = screen.editor

        # 1. by the tree: cursor on the entry, enter
        tree = screen.entry_tree
        tree.focus()
        assert tree.reveal(PRIVATE_REL)
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.doc is not None and editor.doc.rel == PRIVATE_REL)
        assert editor.text_area.cursor_location == body_start(editor.text)
        await type_and_autosave(pilot, app, path)
        assert front_matter(path) == fm and still_private(settings, PRIVATE_REL)

        # 2. by ctrl+g and a date
        await pilot.press("ctrl+n")  # somewhere else first
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        app.screen.query_one("#jump-input", Input).value = "2026-10-16"
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.doc is not None and editor.doc.rel == PRIVATE_REL)
        assert editor.text_area.has_focus
        assert editor.text_area.cursor_location == body_start(editor.text)
        await type_and_autosave(pilot, app, path)
        assert front_matter(path) == fm and still_private(settings, PRIVATE_REL)

        # 3. ctrl+t: today's private entry, cursor at the end of its body
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: editor.doc is not None and editor.doc.rel == today_rel)
        assert editor.text_area.cursor_location == body_end(editor.text)
        await type_and_autosave(pilot, app, today_path)
        assert front_matter(today_path) == today_fm and still_private(settings, today_rel)
        assert today_path.read_text(encoding="utf-8").endswith("heron.\nZq ")

        # 4. a search hit
        await pilot.press("f3")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        await pilot.press(*"pension contribution")
        await wait_until(pilot, lambda: bool(search._hits), what="search results")
        index = next(i for i, h in enumerate(search._hits) if h.entry.rel == PRIVATE_REL)
        results = search.query_one("#results", OptionList)
        results.focus()
        results.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        editor = journal_screen(app).editor
        await wait_until(pilot, lambda: editor.doc is not None and editor.doc.rel == PRIVATE_REL)
        assert editor.text_area.cursor_location >= body_start(editor.text)
        await type_and_autosave(pilot, app, path)
        assert front_matter(path) == fm and still_private(settings, PRIVATE_REL)

        # 5. a hit whose line is inside the front matter (a title match) lands in the body
        app.open_entry(PRIVATE_REL, line=2)
        await settle(pilot)
        assert editor.text_area.cursor_location == body_start(editor.text)
        await type_and_autosave(pilot, app, path)
        assert front_matter(path) == fm and still_private(settings, PRIVATE_REL)


async def test_ctrl_home_and_ctrl_end(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_entry(PRIVATE_REL)
        await settle(pilot)
        editor = journal_screen(app).editor
        area = editor.text_area
        area.focus()
        await pilot.press("ctrl+end")
        assert area.cursor_location == body_end(editor.text)
        await pilot.press("ctrl+home")
        assert area.cursor_location == body_start(editor.text)
        await pilot.press("ctrl+home")  # again: the very top, to edit the front matter
        assert area.cursor_location == (0, 0)
        assert {"editor-start", "editor-end"} <= set(_binding_ids())


def _binding_ids() -> set[str]:
    from journal_me.tui.app import bindable_classes
    from journal_me.tui.keys import binding_ids

    return binding_ids(bindable_classes())


async def _open_private(pilot: Pilot[Any], app: JournalMeApp) -> Any:
    await settle(pilot)
    app.open_entry(PRIVATE_REL)
    await settle(pilot)
    editor = journal_screen(app).editor
    assert editor.doc is not None and editor.doc.rel == PRIVATE_REL
    return editor


async def test_breaking_front_matter_asks_and_revert_restores(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / PRIVATE_REL
    original = path.read_bytes()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_private(pilot, app)
        text = editor.text
        # delete the closing --- (line 5): the front matter no longer parses
        editor.text_area.delete((4, 0), (5, 0))
        await wait_until(pilot, lambda: editor.confirming is not None, what="the banner")
        await settle(pilot)
        assert editor.query_one("#confirm-banner").display
        assert path.read_bytes() == original  # nothing written while it asks
        await pilot.pause(0.5)  # past another autosave: still nothing
        assert path.read_bytes() == original

        await pilot.click("#confirm-revert")
        await settle(pilot)
        assert editor.text == text and not editor.dirty
        assert not editor.query_one("#confirm-banner").display
        assert path.read_bytes() == original


async def test_dropping_private_asks_and_save_anyway_writes(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / PRIVATE_REL
    original = path.read_bytes()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_private(pilot, app)
        assert editor.text.splitlines()[3] == "private: true"
        editor.text_area.delete((3, 0), (4, 0))
        await wait_until(pilot, lambda: editor.confirming is not None, what="the banner")
        await settle(pilot)
        assert "private" in editor.confirming.lower()
        assert path.read_bytes() == original

        # keep editing: the banner goes, nothing is written
        await pilot.click("#confirm-keep")
        await settle(pilot)
        assert not editor.query_one("#confirm-banner").display
        assert path.read_bytes() == original and editor.dirty

        # the next autosave asks again; this time: save anyway
        editor.text_area.insert("x", editor.text_area.document.end)
        await wait_until(pilot, lambda: editor.confirming is not None, what="asked again")
        await pilot.click("#confirm-save")
        await wait_until(pilot, lambda: path.read_bytes() != original, what="saved anyway")
        await settle(pilot)
        assert b"private" not in front_matter(path)
        assert not still_private(settings, PRIVATE_REL)
        assert not editor.dirty and editor.confirming is None


async def test_ctrl_s_answers_save_anyway_from_the_keyboard(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    path = settings.vault / PRIVATE_REL
    original = path.read_bytes()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await _open_private(pilot, app)
        editor.text_area.focus()
        editor.text_area.delete((4, 0), (5, 0))  # the closing ---
        await wait_until(pilot, lambda: editor.confirming is not None, what="the banner")
        assert "ctrl+s" in str(editor.query_one("#confirm-reason").render())
        assert path.read_bytes() == original
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: path.read_bytes() != original, what="saved anyway")
        await settle(pilot)
        assert editor.confirming is None and not editor.dirty
