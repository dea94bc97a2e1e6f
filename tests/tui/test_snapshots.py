"""Snapshots of every screen on a copy of the sample vault: fixed size, fixed "today",
watcher off. Update with ``pytest tests/tui --snapshot-update`` and review the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from journal_me.tui.app import JournalMeApp

from .conftest import SIZE, no_blink, settle, wait_until

Snap = Callable[..., bool]


def ready(
    then: Callable[[Pilot[Any]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def test_journal_screen(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready())


def test_journal_preview(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def preview(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+r")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(preview))


def test_journal_todays_draft(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def today(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+t")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(today))


def test_journal_light_theme(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def light(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "journal-light"

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(light))


def test_journal_high_contrast_theme(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def contrast(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "journal-high-contrast"

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(contrast))


def test_search_screen(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"knee physio")
        screen: Any = pilot.app.screen
        await wait_until(pilot, lambda: bool(screen._hits), what="results")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(search))


def test_search_screen_with_filters(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        screen: Any = pilot.app.screen
        screen.query_one("#after", Input).value = "2026-04-01"
        screen.query_one("#tags", Input).value = "running"
        screen.query_one("#query", Input).focus()
        await pilot.press(*"run")
        await wait_until(pilot, lambda: bool(screen._hits), what="results")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(search))


def test_people_screen(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def people(pilot: Pilot[Any]) -> None:
        await pilot.press("f4")
        screen: Any = pilot.app.screen
        await wait_until(pilot, lambda: bool(getattr(screen, "_points", None)), what="details")
        # the list refills after the start-up index; wait for its columns to fit their rows again
        await wait_until(
            pilot,
            lambda: all(c.get_render_width(screen.table) > 6 for c in screen.table.columns.values()),
            what="column widths",
        )

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(people))


def test_help_screen(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def help_(pilot: Pilot[Any]) -> None:
        await pilot.press("f1")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(help_))


def test_jump_to_date(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    async def jump(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("tab", "pageup")  # October 2026, days with entries underlined

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready(jump))
