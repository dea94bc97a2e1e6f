"""Escape sequences in journal text never reach the terminal (issue 15): titles, file names
and passages are cleaned (``termsafe.clean``) in the tree, the editor's title, search hits,
chat sources and the palette; the editor draws control characters as visible symbols
(the file itself is left as written)."""

from __future__ import annotations

import re
from collections.abc import Callable

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.commands import JournalCommands
from journal_me.tui.screens.chat import ChatScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.search import SearchScreen

from .conftest import SIZE, settle, wait_until
from .test_chat_bridge import ask, memory_only, open_screen

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TITLED = "journal/2026/2026-10-29.md"
# an OSC 52 clipboard write, a screen clear, a window-title change, colours
HOSTILE = (
    '---\ntitle: "Locker \\e]52;c;cHduZWQ=\\a code \\e[2J"\n---\n'
    "The escape \x1b[31mred\x1b[0m zorbleflax passage \x1b]0;pwned\x07 here.\n"
)
NAMED = "journal/2026/2026-10-28 \x1b]0;owned\x07.md"  # no title: the file name shows


def on_screen(app: JournalMeApp) -> str:
    """Every character the app would draw now."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_escape_sequences_never_reach_the_terminal(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    (settings.vault / TITLED).write_text(HOSTILE, encoding="utf-8")
    (settings.vault / NAMED).write_text("Named \x1b[2J oddly.\n", encoding="utf-8")
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.backend.summary(TITLED) is not None, what="indexed")
        assert "\x1b" in app.backend.summary(TITLED).title  # the core keeps the text as written

        screen = app.screen
        assert isinstance(screen, JournalScreen)
        # the tree, the editor's title and its text
        app.open_entry(TITLED)
        await settle(pilot)
        assert screen.entry_tree.reveal(NAMED)
        await settle(pilot)
        drawn = on_screen(app)
        assert "Locker" in drawn and "code" in drawn and "zorbleflax" in drawn
        assert not CONTROL.findall(drawn)
        assert "␛[31m" in drawn  # the editor shows that something odd is there
        assert "\x1b[31m" in screen.editor.text  # …and leaves the text as it is

        # search hits: title, path and passage
        await pilot.press("f3")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        await pilot.press(*"zorbleflax")
        await wait_until(pilot, lambda: bool(search._hits), what="search results")
        await settle(pilot)
        drawn = on_screen(app)
        assert "zorbleflax" in drawn and not CONTROL.findall(drawn)

        # the palette's "open: <title>" entries
        provider = JournalCommands(app.screen)
        hits = [hit async for hit in provider.search("Locker")]
        assert hits and not any(CONTROL.findall(str(h.text)) for h in hits)

        # chat, memory-only: the passage itself is the answer, with its source
        chat = await open_screen(pilot, "f7", ChatScreen)
        await ask(pilot, chat, "zorbleflax")
        await settle(pilot)
        drawn = on_screen(app)
        assert "zorbleflax" in drawn and not CONTROL.findall(drawn)
