"""App-wide conventions: themes (persisted, fallback), keymap, help, palette, safe text."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit
from textual.widgets import Input, OptionList

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.commands import JournalCommands
from journal_me.tui.screens.help import HelpScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.people import PeopleScreen
from journal_me.tui.screens.search import SearchScreen
from journal_me.tui.text import snippet
from journal_me.tui.themes import load_themes, pick_theme, theme_dirs

from .conftest import SIZE, settle, wait_until


async def test_theme_switch_persists(make_app: Callable[..., JournalMeApp], settings: Settings) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "journal-dark"
        assert not settings.state_file.exists()  # nothing chosen yet: nothing written
        app.theme = "journal-light"
        await settle(pilot)
    state = json.loads(settings.state_file.read_text(encoding="utf-8"))
    assert state["theme"] == "journal-light"

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "journal-light"


async def test_unknown_theme_falls_back(make_app: Callable[..., JournalMeApp], settings: Settings) -> None:
    app = make_app(settings=replace(settings, theme="no-such-theme"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "journal-dark"
        assert any("no-such-theme" in n.message for n in app._notifications)


def test_bundled_themes_are_valid(settings: Settings) -> None:
    loaded = load_themes(theme_dirs(settings))
    assert not loaded.problems
    names = {t.name for t in loaded.themes}
    assert {"journal-dark", "journal-light", "journal-high-contrast"} <= names
    assert pick_theme(names, None, "journal-light") == ("journal-light", None)
    assert pick_theme(names | {"textual-dark"}, "gone")[0] == "journal-dark"


def test_user_theme_dir_and_bad_theme_file(settings: Settings) -> None:
    config = settings.vault.parent / "config.toml"
    config.write_text("", encoding="utf-8")
    themes = config.parent / "themes"
    themes.mkdir()
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\n', encoding="utf-8")
    (themes / "bad.toml").write_text('name = "bad"\nprimary = "not-a-colour"\n', encoding="utf-8")
    loaded = load_themes(theme_dirs(replace(settings, config_file=config)))
    assert "mine" in {t.name for t in loaded.themes}
    assert len(loaded.problems) == 1 and "bad.toml" in loaded.problems[0]


async def test_keymap_from_settings_remaps_bindings(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    keymap = {"goto-search": "f9", "today": "f12", "no-such-id": "f8"}
    app = make_app(settings=replace(settings, keymap=keymap))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("no-such-id" in n.message for n in app._notifications)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("f12")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        assert screen.editor.doc is not None and screen.editor.doc.draft


def _classes_with_bindings() -> set[type]:
    """Every class defined under journal_me/tui that declares its own ``BINDINGS``, found
    by importing each module of the package (not from a list kept by hand)."""
    import importlib
    import inspect
    import pkgutil

    import journal_me.tui as tui

    found: set[type] = set()
    for info in pkgutil.walk_packages(tui.__path__, prefix="journal_me.tui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found.add(cls)
    return found


def test_every_binding_has_an_id() -> None:
    from textual.binding import Binding

    from journal_me.tui.app import bindable_classes
    from journal_me.tui.first_run import FirstRunApp
    from journal_me.tui.keys import binding_ids

    classes = _classes_with_bindings()
    assert {JournalMeApp, JournalScreen, SearchScreen, PeopleScreen, FirstRunApp} <= classes
    # a class with keys that [keymap] does not know of would be missed by remapping and help;
    # the set-up app runs before there is a config (no keymap), so it is the one exception
    assert classes - {FirstRunApp} == set(bindable_classes())
    ids: list[str] = []
    for cls in classes:
        for binding in cls.__dict__["BINDINGS"]:
            assert isinstance(binding, Binding), f"{cls.__name__}: {binding!r}"
            assert binding.id, f"{cls.__name__}: {binding.key} has no id"
            ids.append(binding.id)
    assert len(ids) == len(set(ids)), "binding ids must be unique"
    assert set(ids) == binding_ids(classes)
    assert "first-run-quit" not in binding_ids(bindable_classes())


async def test_help_screen_lists_keys_with_ids(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#entry-tree").focus()
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"today", "goto-search", "toggle-preview", "jump-to-date"} <= ids
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, JournalScreen)


async def test_mode_tabs_switch_screens_with_the_mouse(
    make_app: Callable[..., JournalMeApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#mode-people")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        await pilot.click("#mode-search")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.click("#mode-journal")
        await settle(pilot)
        assert isinstance(app.screen, JournalScreen)


async def test_palette_commands(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = JournalCommands(app.screen)
        hits: list[Hit | DiscoveryHit] = [h async for h in provider.search("physio round")]
        titles = [h.text or "" for h in hits]
        assert any("open: Physio, round one" in t for t in titles)
        hits = [h async for h in provider.search("theme light")]
        assert any(h.text == "theme: journal-light" for h in hits)
        hit = next(h for h in hits if isinstance(h, Hit) and h.text == "theme: journal-light")
        hit.command()
        await settle(pilot)
        assert app.theme == "journal-light"

        # the palette itself opens with ctrl+p and runs "screen: …" commands
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)  # type: ignore[arg-type]
        await pilot.press(*"screen: people")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)


def test_snippets_keep_brackets_verbatim() -> None:
    passage = "Sent [[Sam]] the [bold]plan[/bold] and a [link](x) about knees."
    start = passage.index("knees")
    text = snippet(passage, [(start, start + 5)])
    assert text.plain == passage
    assert any(span.start == start and span.end == start + 5 for span in text.spans)
    assert isinstance(text, Text)


async def test_search_results_show_markup_characters_verbatim(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    (settings.vault / "journal" / "2026" / "2026-11-01.md").write_text(
        "Wrote [bold]quillwort[/bold] and [[Sam]] in [red]brackets[/red].\n", encoding="utf-8"
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"quillwort")
        await wait_until(pilot, lambda: bool(screen._hits), what="results")
        results = screen.query_one("#results", OptionList)
        prompt = results.get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        assert "[bold]quillwort[/bold] and Sam in [red]brackets[/red]" in prompt.plain
        # and on screen, as written (markup would have eaten the tags)
        await settle(pilot)
        screen_text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "[red]brackets[/red]" in screen_text and "[/bold]" in screen_text


async def test_search_filters_dates_and_tags(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one("#query", Input).value = "knee"
        screen.query_one("#after", Input).value = "2026-02-01"
        screen.query_one("#before", Input).value = "March 2026"
        await wait_until(pilot, lambda: bool(screen._hits), what="results")
        await settle(pilot)
        assert all("2026-02-01" <= h.entry.date.isoformat() <= "2026-03-31" for h in screen._hits)

        screen.query_one("#after", Input).value = ""
        screen.query_one("#before", Input).value = ""
        screen.query_one("#tags", Input).value = "#running"
        await wait_until(
            pilot,
            lambda: (
                bool(screen._hits)
                and all(
                    any(t == "running" or t.startswith("running/") for t in h.entry.tags)
                    for h in screen._hits
                )
            ),
            what="tag filter",
        )

        screen.query_one("#after", Input).value = "the day the moon fell"
        await wait_until(
            pilot,
            lambda: screen.query_one("#after", Input).has_class("-invalid"),
            what="invalid date flagged",
        )


async def test_people_screen_filter_sort_and_details(
    make_app: Callable[..., JournalMeApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        await wait_until(pilot, lambda: bool(screen._all), what="entities")
        counts = [e.count for e in screen._shown]
        assert counts == sorted(counts, reverse=True)
        assert screen._current == screen._shown[0].name  # the most mentioned, selected

        filt = screen.query_one("#people-filter", Input)
        filt.focus()
        await pilot.press(*"sammy")  # an alias of Sam
        await wait_until(pilot, lambda: [e.name for e in screen._shown] == ["Sam"], what="filter")

        await pilot.press("escape")
        filt.value = ""
        await pilot.press("f5")  # sort by name
        await settle(pilot)
        names = [e.name.lower().lstrip("#") for e in screen._shown]
        assert names == sorted(names)

        screen.show_entity("Fiona")
        await wait_until(pilot, lambda: screen._current == "Fiona", what="Fiona")
        await wait_until(pilot, lambda: bool(screen._points), what="timeline")
        assert any(p.rel == "journal/2026/2026-01-12.md" for p in screen._points)

        mentions = screen.query_one("#entity-mentions", OptionList)
        mentions.focus()
        mentions.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, JournalScreen)
        assert app.screen.editor.doc is not None
        assert app.screen.editor.doc.rel == screen._points[0].rel


async def test_a_failing_worker_is_reported_not_fatal(
    make_app: Callable[..., JournalMeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.journal is not None

        def broken(*args: object, **kwargs: object) -> list[object]:
            raise RuntimeError("graph on fire")

        monkeypatch.setattr(app.journal, "related_entries", broken)
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        screen.open_entry("journal/2026/2026-01-12.md")
        # (no settle(): waiting on a failed worker re-raises its error, by design)
        await wait_until(
            pilot,
            lambda: any("graph on fire" in n.message for n in app._notifications),
            what="failure notification",
        )
        assert app.is_running
