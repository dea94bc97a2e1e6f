"""The Textual app: modes (screens), app-wide keys, themes, and the background work.

Start-up paints first and reads later: the vault is opened, reindexed and watched in a
thread worker after the first frame (``Backend``), which reports back with messages.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal

from journal_me.config import Settings
from journal_me.termsafe import clean
from journal_me.tui import backend as be
from journal_me.tui.commands import JournalCommands
from journal_me.tui.keys import binding_ids, help_rows
from journal_me.tui.messages import BackendMessage, OpenEntity, OpenEntry
from journal_me.tui.modes import DEFAULT_MODE, MODE_SPECS, ModeSpec
from journal_me.tui.screens.chat import ChatList
from journal_me.tui.screens.conflict import ConflictScreen
from journal_me.tui.screens.help import HelpScreen
from journal_me.tui.screens.jump import JumpScreen
from journal_me.tui.screens.profile import ProfileScreen
from journal_me.tui.state import load_state, update_state
from journal_me.tui.themes import load_themes, pick_theme, theme_dirs
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.editor import EntryEditor, EntryText, SaveOutcome
from journal_me.tui.widgets.model_status import EngineFactory, EngineSlot, ModelChanged, configured_engine
from journal_me.tui.widgets.month_grid import MonthGrid
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.api import Journal
    from journal_me.tui.screens.journal import JournalScreen
    from journal_me.tui.screens.people import PeopleScreen
    from journal_me.tui.screens.search import SearchScreen

STYLES = Path(__file__).parent / "styles"


class JournalMeApp(ReportsWorkerErrors, App[int]):
    """journal-me in the terminal."""

    TITLE = "journal-me"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        STYLES / "app.tcss",
        STYLES / "journal.tcss",
        STYLES / "search.tcss",
        STYLES / "people.tcss",
        STYLES / "dialogs.tcss",
        STYLES / "chat.tcss",
        STYLES / "bridge.tcss",
        STYLES / "training.tcss",
    ]
    # the screens (and their tabs) read the modes from here, never import them upward
    MODE_SPECS: ClassVar[tuple[ModeSpec, ...]] = MODE_SPECS
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        spec.name: spec.screen for spec in MODE_SPECS
    }
    COMMANDS = App.COMMANDS | {JournalCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            # priority: a focused TextArea would take f7 (select all) otherwise
            Binding(
                spec.key,
                f"switch_mode('{spec.name}')",
                spec.key_label,
                id=f"goto-{spec.name}",
                priority=True,
            )
            for spec in MODE_SPECS
        ),
        Binding("ctrl+t", "today", "Today", id="today"),
        Binding("ctrl+n", "new_entry", "New entry", id="new-entry"),
        Binding("ctrl+g", "jump_to_date", "Go to date", id="jump-to-date"),
        Binding("f1,question_mark", "show_help", "Help", id="show-help"),
        Binding("ctrl+p", "command_palette", "Commands", id="command-palette", priority=True),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, show=False),
    ]

    status_text: reactive[str] = reactive("opening…")
    entry_count: reactive[int] = reactive(0)
    warning_count: reactive[int] = reactive(0)
    model_status: reactive[str] = reactive("")

    def __init__(
        self,
        settings: Settings,
        *,
        journal: Journal | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        watch: bool = True,
        reindex: bool = True,
        autosave_delay: float = 1.0,
        disk_check_interval: float = 2.0,
        engine_factory: EngineFactory | None = None,
    ) -> None:
        self.started = time.perf_counter()
        super().__init__()
        self.settings = settings
        self.today = today
        self.watch_vault = watch
        self.reindex_on_start = reindex
        self.autosave_delay = autosave_delay
        self.disk_check_interval = disk_check_interval
        self.backend = be.Backend(settings, self.post_message_from_backend, journal=journal)
        self.vault_changed: Signal[str] = Signal(self, "vault-changed")
        self.main_screens: dict[str, Screen[None]] = {}
        self.ready = False
        self.first_paint: float | None = None
        self._pending: list[Callable[[], object]] = []
        self._saved_theme: str | None = None
        # the model for chat and bridge: loaded once, in a worker, when first needed
        self.engine_slot = EngineSlot(
            settings, engine_factory or configured_engine, lambda: self.post_message(ModelChanged())
        )
        self.engine_changed: Signal[str] = Signal(self, "engine-changed")

    # -- start-up --------------------------------------------------------------------------
    @property
    def journal(self) -> Journal | None:
        return self.backend.journal

    @property
    def vault_label(self) -> str:
        return self.settings.vault.name or str(self.settings.vault)

    def title_text(self) -> Text:
        return Text.assemble(("journal-me", "bold"), ("  ·  ", "dim"), self.vault_label)

    def on_mount(self) -> None:
        self._setup_themes()
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
            unknown = sorted(set(self.settings.keymap) - binding_ids(bindable_classes()))
            if unknown:
                self.notify(
                    f"unknown binding id(s) in [keymap]: {', '.join(unknown)} (see ? for the ids)",
                    title="Config",
                    severity="warning",
                    timeout=15,
                    markup=False,
                )
        self.switch_mode(DEFAULT_MODE)
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.first_paint = time.perf_counter() - self.started
        self._start_backend()
        self.refresh_model_status()

    def _setup_themes(self) -> None:
        loaded = load_themes(theme_dirs(self.settings))
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            self.notify(problem, title="Theme skipped", severity="warning", markup=False)
        state = load_state(self.settings.state_file)
        saved = state.get("theme") if isinstance(state.get("theme"), str) else None
        configured = self.settings.theme
        # the last choice wins, unless the config's theme was changed since it was made
        same_config = state.get("config_theme") == configured
        wanted = [saved, configured] if same_config else [configured, saved]
        name, note = pick_theme(self.available_themes, *wanted)
        if note is not None:
            self.notify(f"{note}; using {name}", title="Theme", severity="warning", timeout=15, markup=False)
        self._saved_theme = saved
        self.theme = name
        self.watch(self, "theme", self._persist_theme, init=False)

    def _persist_theme(self, name: str) -> None:
        if name == self._saved_theme:
            return
        try:
            update_state(self.settings.state_file, theme=name, config_theme=self.settings.theme)
            self._saved_theme = name
        except OSError as exc:
            self.notify(f"cannot save the theme choice: {exc}", severity="warning", markup=False)

    @work(thread=True, exclusive=True, group="backend", exit_on_error=False)
    def _start_backend(self) -> None:
        backend = self.backend
        if not backend.open():
            return
        if self.reindex_on_start:
            backend.reindex()
        else:
            backend.check_warnings()
        if self.watch_vault:
            backend.start_watch()

    def post_message_from_backend(self, event: be.Event) -> None:
        self.post_message(BackendMessage(event))

    # -- backend events --------------------------------------------------------------------
    @on(BackendMessage)
    def _backend_event(self, message: BackendMessage) -> None:
        event = message.event
        if isinstance(event, be.Opened):
            self.ready = True
            self.entry_count = event.entry_count
            self.status_text = "indexing…" if self.reindex_on_start else "ready"
            if event.recovered:
                self.notify(event.recovered, title="Index rebuilt", markup=False)
            self.vault_changed.publish("opened")
            pending, self._pending = self._pending, []
            for fn in pending:
                fn()
        elif isinstance(event, be.OpenFailed):
            self.status_text = "vault not open"
            self.notify(
                event.message, title="Cannot open the vault", severity="error", timeout=30, markup=False
            )
        elif isinstance(event, be.IndexProgress):
            if event.total:
                self.status_text = f"{event.what} {event.done}/{event.total}"
        elif isinstance(event, be.Indexed):
            self.entry_count = event.entry_count
            if not self.watch_vault or self.status_text.startswith(("index", "reading", "opening")):
                self.status_text = "ready" if not self.watch_vault else "watching"
            self.vault_changed.publish("indexed")
        elif isinstance(event, be.WatchState):
            self.status_text = event.text.split(" · ")[0]
            if event.state == "watching":
                for screen in self.main_screens.values():
                    editor = _editor_of(screen)
                    if editor is not None:
                        editor.check_disk()
        elif isinstance(event, be.NewWarnings):
            self.warning_count = event.total
            for warning in event.warnings[:5]:
                self.notify(
                    f"{warning.rel}\n{warning.reason}",
                    title="File skipped",
                    severity="warning",
                    timeout=8,
                    markup=False,
                )
            if len(event.warnings) > 5:
                self.notify(
                    f"…and {len(event.warnings) - 5} more (click the status bar)",
                    severity="warning",
                    markup=False,
                )

    # -- the model (chat and bridge) -------------------------------------------------------
    def ensure_engine(self) -> None:
        """Start loading the model in a worker, unless it is loaded or loading."""
        if self.engine_slot.claim():
            self._load_engine()

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _load_engine(self) -> None:
        self.engine_slot.load()

    @work(thread=True, exclusive=True, group="model-status", exit_on_error=False)
    def refresh_model_status(self) -> None:
        """Re-read the model registry for the status bar (base + adapter version)."""
        self.engine_slot.refresh_configured()

    def reload_engine(self) -> None:
        """Drop the loaded model and load the configured one again (a new adapter, say)."""
        self._reload_engine()

    @work(thread=True, exclusive=True, group="engine-reload", exit_on_error=False)
    def _reload_engine(self) -> None:
        slot = self.engine_slot
        if slot.reset() and slot.claim():
            slot.load()

    @on(ModelChanged)
    def _model_changed(self, message: ModelChanged) -> None:
        self.model_status = self.engine_slot.describe()
        self.engine_changed.publish(self.engine_slot.state)

    def when_ready(self, fn: Callable[[], object]) -> None:
        if self.ready:
            fn()
        else:
            self._pending.append(fn)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_entries(self) -> None:
        self.backend.refresh()

    @work(thread=True, group="update-paths", exit_on_error=False)
    def update_paths(self, rels: list[str]) -> None:
        """Reindex these files now (after $EDITOR; the watch loop may be off)."""
        journal = self.journal
        if journal is not None:
            report = journal.update_paths(rels)
            if report.changed:
                self.backend.refresh()
            self.backend.check_warnings()

    # -- navigation ------------------------------------------------------------------------
    def open_entry(self, rel: str, line: int | None = None) -> None:
        self.when_ready(lambda: self._open_entry(rel, line))

    def _open_entry(self, rel: str, line: int | None) -> None:
        self.switch_mode("journal")
        screen = self.journal_screen
        if screen is not None:
            screen.open_entry(rel, line, focus=True)

    def open_entity(self, name: str) -> None:
        self.when_ready(lambda: self.call_later(self._open_entity, name))

    async def _open_entity(self, name: str) -> None:
        await self.switch_mode("people")
        screen: PeopleScreen | None = self.main_screens.get("people")  # type: ignore[assignment]
        if screen is not None:
            screen.show_entity(name)

    def start_search(self, text: str = "") -> None:
        self.call_later(self._start_search, text)

    async def _start_search(self, text: str) -> None:
        await self.switch_mode("search")
        screen: SearchScreen | None = self.main_screens.get("search")  # type: ignore[assignment]
        if screen is not None and text:
            screen.set_query(text)

    def on_journal_screen(self, action: str) -> None:
        """Run one of the journal screen's actions (from the palette, on any screen)."""
        self.switch_mode("journal")
        screen = self.journal_screen
        if screen is not None:
            getattr(screen, f"action_{action}")()

    def run_on_mode(self, mode: str, action: str, *args: object) -> None:
        """Switch to ``mode`` and run one of its screen's ``action_*`` (palette commands)."""
        self.call_later(self._run_on_mode, mode, action, args)

    async def _run_on_mode(self, mode: str, action: str, args: tuple[object, ...]) -> None:
        await self.switch_mode(mode)
        screen = self.main_screens.get(mode)
        if screen is not None:
            getattr(screen, f"action_{action}")(*args)

    @property
    def journal_screen(self) -> JournalScreen | None:
        return self.main_screens.get("journal")  # type: ignore[return-value]

    @on(OpenEntry)
    def _open_entry_message(self, message: OpenEntry) -> None:
        self.open_entry(message.rel, message.line)

    @on(OpenEntity)
    def _open_entity_message(self, message: OpenEntity) -> None:
        self.open_entity(message.name)

    # -- actions ---------------------------------------------------------------------------
    def action_today(self) -> None:
        self.when_ready(lambda: self._open_day(self.today(), separate=False))

    def action_new_entry(self) -> None:
        self.when_ready(lambda: self._open_day(self.today(), separate=True))

    def _open_day(self, day: dt.date, *, separate: bool) -> None:
        self.switch_mode("journal")
        screen = self.journal_screen
        if screen is not None:
            screen.open_day(day, separate=separate)

    def action_jump_to_date(self) -> None:
        def picked(day: dt.date | None) -> None:
            if day is not None:
                self.when_ready(lambda: self._open_day(day, separate=False))

        self.push_screen(JumpScreen(self.today(), self.backend.days_with_entries), picked)

    def action_show_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = help_rows(self, self.screen)
        config = self.settings.config_file or "your config file"
        hint = (
            f"Remap any key by its binding id in {config}, e.g.\n[keymap]\ngoto-search = "
            f'"ctrl+s"\ntoday = "f10"'
        )
        self.push_screen(HelpScreen(rows, hint))

    def show_warnings(self) -> None:
        journal = self.journal
        if journal is None or not journal.warnings:
            self.notify("No files skipped.", markup=False)
            return
        lines = [f"{w.rel}: {w.reason}" for w in journal.warnings[:12]]
        more = len(journal.warnings) - len(lines)
        if more > 0:
            lines.append(f"…and {more} more (journal-me doctor lists them all)")
        self.notify("\n".join(lines), title="Files skipped", severity="warning", timeout=15, markup=False)

    async def action_quit(self) -> None:
        """Save, then quit. Text that cannot be saved (disk full, permissions, a change of
        the front matter waiting for an answer) goes to a recovery copy in the data dir, and
        the exit message says where; if even that fails, the app stays open."""
        notes: list[str] = []
        for screen in self.main_screens.values():
            editor = _editor_of(screen)
            if editor is None:
                continue
            try:
                outcome = editor.save_blocking()
            except Exception as exc:
                doc = editor.doc
                outcome = SaveOutcome(doc.rel if doc else None, editor.text, f"not saved: {exc}")
            if outcome.problem is None or outcome.rel is None:
                continue
            rel, problem = clean(outcome.rel), clean(outcome.problem)
            try:
                if self.journal is None:
                    raise OSError("the vault is not open")
                where = self.journal.write_recovery_copy(outcome.rel, outcome.text)
            except Exception as exc:
                self.notify(
                    f"{rel}: {problem}\nNo recovery copy either: {exc}\n"
                    "Still open: copy your text somewhere safe or fix the cause (free space, "
                    "permissions), then quit again.",
                    title="Not saved: not quitting",
                    severity="error",
                    timeout=60,
                    markup=False,
                )
                return
            notes.append(f"journal-me: {rel} was not saved ({problem}).\n  Your text is in {where}")
        if notes:
            self.exit(1, return_code=1, message=Text("\n".join(notes)))
        else:
            self.exit(0)

    def on_unmount(self) -> None:
        self.backend.stop()
        self.engine_slot.close()


def _editor_of(screen: Screen[None]) -> EntryEditor | None:
    found = screen.query(EntryEditor)
    return found.first() if found else None


def bindable_classes() -> list[type[Any]]:
    """The app and every screen or widget class whose ``BINDINGS`` ``[keymap]`` can remap
    (tests/tui/test_app.py checks this against every class under journal_me/tui)."""
    return [
        JournalMeApp,
        HelpScreen,
        JumpScreen,
        MonthGrid,
        ChatList,
        ProfileScreen,
        AskDialog,
        EntryText,
        ConflictScreen,
        *(spec.screen for spec in MODE_SPECS if isinstance(spec.screen, type)),
    ]
