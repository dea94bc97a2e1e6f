"""The TUI's link to the journal core, free of Textual so it can be tested on its own.

:class:`Backend` opens the vault, keeps the entry list, reindexes and runs the watch loop.
Its blocking methods are called from thread workers; it reports through one callback with
small immutable events, which the app turns into Textual messages (``post_message`` is
thread-safe). Nothing here reads every file of the vault: the entry list comes from the
index, and the first reindex runs after the first paint.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from journal_me.config import Settings

if TYPE_CHECKING:  # the core is imported lazily: it is slow to import (whoosh, networkx)
    from journal_me.api import EntrySummary, FileWarning, IndexReport, Journal
    from journal_me.watch import VaultWatcher, WatchStatus


@dataclass(frozen=True)
class Opened:
    """The vault is open; the entry list (from the index) is ready."""

    entry_count: int
    recovered: str | None  # why the index was rebuilt on open, if it was


@dataclass(frozen=True)
class OpenFailed:
    message: str


@dataclass(frozen=True)
class IndexProgress:
    done: int
    total: int
    what: str


@dataclass(frozen=True)
class Indexed:
    """The entry list changed (after a reindex, a watch update or our own save)."""

    entry_count: int
    changed: int
    summary: str


@dataclass(frozen=True)
class WatchState:
    state: str  # stopped | watching | indexing | error
    text: str  # WatchStatus.describe()
    pending: int


@dataclass(frozen=True)
class NewWarnings:
    warnings: tuple[FileWarning, ...]
    total: int


Event = Union[Opened, OpenFailed, IndexProgress, Indexed, WatchState, NewWarnings]  # noqa: UP007


class Backend:
    """Owns the Journal, its entry list and the watch loop for one app."""

    def __init__(
        self,
        settings: Settings,
        emit: Callable[[Event], None],
        *,
        journal: Journal | None = None,
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.journal: Journal | None = journal
        self.summaries: list[EntrySummary] = []
        self._by_rel: dict[str, EntrySummary] = {}
        self._seen_report: object = None
        self.entity_types: dict[str, str] = {}
        self.watcher: VaultWatcher | None = None
        self._known_warnings: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._stopped = False
        self.timings: dict[str, float] = {}

    # -- blocking steps (call from thread workers) -----------------------------------------
    def open(self) -> bool:
        start = time.perf_counter()
        if self.journal is None:
            try:
                from journal_me.api import open_vault

                self.journal = open_vault(settings=self.settings)
            except Exception as exc:  # a UI must not die on a bad vault: say why
                self.emit(OpenFailed(f"cannot open the vault {self.settings.vault}: {exc}"))
                return False
        self._load_summaries()
        self.timings["open"] = time.perf_counter() - start
        self.emit(Opened(len(self.summaries), self.journal.index_recovered))
        return True

    def reindex(self) -> IndexReport | None:
        journal = self.journal
        if journal is None:
            return None

        def progress(done: int, total: int, what: str) -> None:
            self.emit(IndexProgress(done, total, what))

        report = journal.reindex(progress=progress)
        self._load_summaries()
        self.emit(Indexed(len(self.summaries), report.changed, report.summary()))
        self.check_warnings()
        return report

    def refresh(self) -> None:
        """Reload the entry list (after our own save created or changed an entry)."""
        if self.journal is None:
            return
        self._load_summaries()
        self.emit(Indexed(len(self.summaries), 1, "refreshed"))

    def start_watch(self) -> None:
        journal = self.journal
        if journal is None or self._stopped:
            return
        from journal_me.watch import VaultWatcher

        watcher = VaultWatcher(journal, on_update=self._on_watch)
        with self._lock:
            if self._stopped:
                return
            self.watcher = watcher
        watcher.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    def check_warnings(self) -> None:
        """Report files that became unreadable since the last check (once each)."""
        journal = self.journal
        if journal is None:
            return
        current = journal.warnings
        keys = {(w.rel, w.reason) for w in current}
        new = tuple(w for w in current if (w.rel, w.reason) not in self._known_warnings)
        self._known_warnings = keys
        if new:
            self.emit(NewWarnings(new, len(current)))

    # -- internals -------------------------------------------------------------------------
    def _load_summaries(self) -> None:
        assert self.journal is not None
        summaries = self.journal.entries()
        types = {e.name: e.type for e in self.journal.entities()}
        with self._lock:
            self.summaries = summaries
            self._by_rel = {s.rel: s for s in summaries}
            self.entity_types = types

    def _on_watch(self, status: WatchStatus) -> None:
        # runs on the watcher's thread
        self.emit(WatchState(status.state, status.describe(), status.pending))
        report = status.last_report
        if status.state == "watching" and report is not None and report is not self._seen_report:
            self._seen_report = report
            if report.changed:
                self._load_summaries()
                self.emit(Indexed(len(self.summaries), report.changed, report.summary()))
        if status.state == "watching":
            self.check_warnings()

    # -- queries for the screens (cheap, from memory) --------------------------------------
    def entries_on(self, day: dt.date) -> list[EntrySummary]:
        return [s for s in self.summaries if s.date == day]

    def summary(self, rel: str) -> EntrySummary | None:
        return self._by_rel.get(rel)

    def days_with_entries(self, year: int, month: int) -> set[int]:
        return {s.date.day for s in self.summaries if s.date.year == year and s.date.month == month}

    def titles(self) -> Sequence[EntrySummary]:
        return self.summaries
