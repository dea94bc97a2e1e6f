"""The main flow: today's entry → type → autosave → search finds it → open it → its people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, OptionList

from journal_me.config import Settings, load_settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.people import PeopleScreen
from journal_me.tui.screens.search import SearchScreen
from journal_me.tui.widgets.entry_tree import EntryTree

from .conftest import SIZE, TODAY, settle, wait_until


async def test_opens_latest_entry_and_lists_months(
    make_app: Callable[..., JournalMeApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert app.entry_count == 204
        assert screen.editor.doc is not None
        assert screen.editor.doc.rel == "journal/2026/2026-10-31.md"
        tree = screen.query_one(EntryTree)
        assert tree.months_with_entries()[(2026, 10)] == 14
        # only the newest year is open, and only the open entry's month has entry nodes
        year_2025 = next(n for n in tree.root.children if n.data and n.data.year == 2025)
        assert not year_2025.is_expanded
        assert all(not m.children for m in year_2025.children)


async def test_today_type_autosave_search_open_people(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    app = make_app()
    path = settings.vault / "journal" / "2026" / f"{TODAY.isoformat()}.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None and screen.editor.doc.draft
        assert not path.exists()  # a draft leaves no file until you type

        for text in ("Coffee with [[Sam]] by the canal; ", "we talked about zephyrine kites."):
            await pilot.press(*text)
        await wait_until(pilot, path.exists, what="autosave")
        await settle(pilot)
        assert "zephyrine kites" in path.read_text(encoding="utf-8")
        assert not screen.editor.dirty
        assert app.entry_count == 205

        # the side panel shows the people of the entry
        await wait_until(pilot, lambda: "Sam" in screen.side._entities, what="entities")

        # find it through search (results as you type, debounced)
        await pilot.press("f3")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        await pilot.press(*"zephyrine")
        await wait_until(pilot, lambda: bool(search._hits), what="search results")
        assert search._hits[0].entry.rel == f"journal/2026/{TODAY.isoformat()}.md"
        results = search.query_one("#results", OptionList)
        results.focus()
        results.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, JournalScreen)
        assert app.screen.editor.doc is not None
        assert app.screen.editor.doc.rel == f"journal/2026/{TODAY.isoformat()}.md"

        # and from the side panel to the people screen
        side = app.screen.side
        entities = side.query_one("#side-entities", OptionList)
        entities.focus()
        entities.highlighted = side._entities.index("Sam")
        await pilot.press("enter")
        await settle(pilot)
        people = app.screen
        assert isinstance(people, PeopleScreen)
        await wait_until(pilot, lambda: people._current == "Sam", what="Sam selected")
        await wait_until(
            pilot,
            lambda: any(p.rel.endswith(f"{TODAY.isoformat()}.md") for p in people._points),
            what="mentions",
        )


async def test_new_entry_is_separate_and_jump_to_date(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # jump to a day with an entry, by words
        await pilot.press("ctrl+g")
        await settle(pilot)
        field = app.screen.query_one("#jump-input", Input)
        field.value = "2026-01-12"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None
        assert screen.editor.doc.rel == "journal/2026/2026-01-12.md"

        # the month grid: pick a day by keys
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("tab")  # input → grid
        await pilot.press("left", "enter")  # 1 November: no entry → a draft for that day
        await settle(pilot)
        assert screen.editor.doc is not None and screen.editor.doc.draft
        assert screen.editor.doc.day == dt.date(2026, 11, 1)

        # ctrl+n: a separate entry even when today's exists
        (settings.vault / "journal" / "2026" / f"{TODAY.isoformat()}.md").write_text(
            "Morning pages.\n", encoding="utf-8"
        )
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen.editor.doc is not None
        assert screen.editor.doc.rel == f"journal/2026/{TODAY.isoformat()}-2.md"
        await pilot.press(*"Evening pages.")
        await wait_until(
            pilot,
            (settings.vault / "journal/2026" / f"{TODAY.isoformat()}-2.md").exists,
            what="second entry saved",
        )


async def test_preview_toggle_renders_markdown(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.editor.previewing
        await pilot.press("ctrl+r")
        assert not screen.editor.previewing


async def test_external_editor_without_terminal_is_reported(
    make_app: Callable[..., JournalMeApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")  # headless: cannot suspend; says so, keeps running
        await settle(pilot)
        assert any("cannot hand over" in n.message for n in app._notifications)


async def test_first_run_fills_the_tree_after_the_first_index(tmp_path: Path, tui_env: Path) -> None:
    """No index yet: the screen paints at once, the entries appear when indexing ends."""
    import shutil

    from .conftest import SAMPLE_VAULT

    vault = tmp_path / "fresh-vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    app = JournalMeApp(load_settings(vault=vault), today=lambda: TODAY, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.entry_count == 204, timeout=60, what="first index")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None
        assert screen.editor.doc.rel == "journal/2026/2026-10-31.md"
        assert screen.entry_tree.months_with_entries()[(2026, 10)] == 14
