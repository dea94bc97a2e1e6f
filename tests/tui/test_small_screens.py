"""Every screen usable at 80×24 (issue 9.9): the journal's side panel gives way (ctrl+\\
brings it back), the editor keeps most of the width, the tabs and the footer fit.
Snapshots of each screen at 80×24; update with ``--snapshot-update`` and look at the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Tab

from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.bridge import BridgeScreen
from journal_me.tui.screens.chat import ChatScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.training import TrainingScreen

from .conftest import no_blink, settle, wait_until
from .test_chat_bridge import ask, draft, fixed_clock, memory_only, open_screen  # noqa: F401

SMALL = (80, 24)
Snap = Callable[..., bool]


def _fits(widget: Any, width: int) -> bool:
    region = widget.region
    return region.width > 0 and region.x >= 0 and region.right <= width


async def test_journal_at_80x24_gives_the_editor_the_width(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        editor = screen.editor
        assert editor.region.width >= 50, editor.region  # was ~16 columns
        assert not screen.side.display

        # every tab is on screen, with its key
        tabs = list(screen.query(Tab))
        assert len(tabs) >= 6 and all(_fits(t, SMALL[0]) for t in tabs)
        assert "f3" in str(screen.query_one("#mode-search", Tab).label)

        # the footer's keys all fit
        footer = screen.query_one(Footer)
        keys = [k for k in footer.children if k.display]
        assert keys and all(_fits(k, SMALL[0]) for k in keys)

        # the side panel comes back on demand, and goes again
        await pilot.press("ctrl+backslash")
        await pilot.pause()
        assert screen.side.display and screen.side.region.width > 0
        await pilot.press("ctrl+backslash")
        await pilot.pause()
        assert not screen.side.display

        # wide again: everything as before
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        assert screen.side.display
        assert str(screen.query_one("#mode-people", Tab).label) == "People & topics"


async def test_chat_list_hides_at_80x24_and_toggles(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        side = screen.query_one("#chat-side")
        assert not side.display
        assert screen.query_one("#chat-main").region.width == SMALL[0]
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert side.display


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


async def _search(pilot: Pilot[Any]) -> None:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*"knee physio")
    screen: Any = pilot.app.screen
    await wait_until(pilot, lambda: bool(screen._hits), what="results")


async def _people(pilot: Pilot[Any]) -> None:
    await pilot.press("f4")
    screen: Any = pilot.app.screen
    await wait_until(pilot, lambda: bool(getattr(screen, "_points", None)), what="details")
    # the list refills after the start-up index; wait for its columns to fit their rows again
    await wait_until(
        pilot,
        lambda: all(c.get_render_width(screen.table) > 6 for c in screen.table.columns.values()),
        what="column widths",
    )


async def _chat(pilot: Pilot[Any]) -> None:
    screen = await open_screen(pilot, "f7", ChatScreen)
    await ask(pilot, screen, "who is Fiona?")
    screen.log_view.scroll_home(animate=False)


async def _bridge(pilot: Pilot[Any]) -> None:
    screen = await open_screen(pilot, "f8", BridgeScreen)
    await wait_until(pilot, lambda: screen.role is not None, what="roles")
    await draft(pilot, screen, "Are you still going to pottery on Thursdays?")
    screen.draft_area.focus()
    screen.draft_area.move_cursor((0, 0))


async def _training(pilot: Pilot[Any]) -> None:
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainingScreen), what="training")


async def _help(pilot: Pilot[Any]) -> None:
    await pilot.press("f1")


async def _jump(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+g")
    await settle(pilot)
    await pilot.press("tab", "pageup")


async def _side_panel(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+backslash")


SCREENS: dict[str, Callable[[Pilot[Any]], Awaitable[None]] | None] = {
    "journal": None,
    "journal-side-panel": _side_panel,
    "search": _search,
    "people": _people,
    "chat": _chat,
    "bridge": _bridge,
    "training": _training,
    "help": _help,
    "jump": _jump,
}


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("name", list(SCREENS))
def test_small_screen_snapshot(snap_compare: Snap, make_app: Callable[..., JournalMeApp], name: str) -> None:
    app = make_app(engine_factory=memory_only)
    assert snap_compare(app, terminal_size=SMALL, run_before=ready(SCREENS[name]))
