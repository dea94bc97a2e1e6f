"""The watch loop: keep L1 memory fresh while the user writes, in any editor.

Editors save as storms of events: vim renames ``note.md`` to ``note.md~`` and writes a new
file, atomic savers only show ``moved(tmp → note.md)``, others create swap files. So events
are not trusted for *what* happened, only for *where*: every touched vault path is debounced
(~300 ms after its last event) and then reconciled against disk by content hash
(:meth:`Journal.update_paths`). Folder moves and deletions trigger an incremental reindex.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from journal_me.api import IndexReport, Journal

log = logging.getLogger(__name__)


@dataclass
class WatchStatus:
    state: str = "stopped"  # stopped | watching | indexing | error
    pending: int = 0
    last_report: IndexReport | None = None
    error: str | None = None
    updated_at: float = field(default_factory=time.time)
    # the ``on_update`` callback (the UI) raised this many times; its last error, one line
    callback_errors: int = 0
    last_callback_error: str | None = None

    def describe(self) -> str:
        if self.state == "indexing":
            text = f"indexing {self.pending}"
        elif self.state == "error":
            text = f"error: {self.error}"
        else:
            warnings = len(self.last_report.warnings) if self.last_report else 0
            text = "watching" + (f" · {warnings} warning(s)" if warnings else "")
        if self.callback_errors:
            text += f" · status display failed {self.callback_errors}× ({self.last_callback_error})"
        return text


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: VaultWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in {"opened", "closed_no_write"}:
            return
        paths = [event.src_path]
        dest = getattr(event, "dest_path", "")
        if dest:
            paths.append(dest)
        if event.is_directory:
            if event.event_type in {"moved", "deleted", "created"}:
                self.watcher.request_rescan()
            return
        for p in paths:
            self.watcher.touch(p if isinstance(p, str) else p.decode())


class VaultWatcher:
    """Watches a journal's vault and reindexes touched entries after a debounce."""

    def __init__(
        self,
        journal: Journal,
        *,
        polling: bool | None = None,
        debounce_ms: int | None = None,
        on_update: Callable[[WatchStatus], None] | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.journal = journal
        self.polling = journal.settings.polling if polling is None else polling
        self.debounce = (journal.settings.debounce_ms if debounce_ms is None else debounce_ms) / 1000
        self.on_update = on_update
        self.poll_interval = poll_interval
        self.status = WatchStatus()
        self._pending: dict[str, float] = {}
        self._rescan_at: float | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self._root = journal.root

    # -- events ----------------------------------------------------------------------------
    def touch(self, path: str) -> None:
        try:
            rel = Path(path).relative_to(self._root).as_posix()
        except ValueError:
            return
        if not self.journal.wants(rel):
            return
        with self._cond:
            self._pending[rel] = time.monotonic() + self.debounce
            self._cond.notify()

    def request_rescan(self) -> None:
        with self._cond:
            self._rescan_at = time.monotonic() + self.debounce
            self._cond.notify()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> VaultWatcher:
        observer: BaseObserver = PollingObserver(timeout=self.poll_interval) if self.polling else Observer()
        observer.schedule(_Handler(self), str(self._root), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._loop, name="journal-me-watch", daemon=True)
        self._thread.start()
        self._set(state="watching")
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._set(state="stopped")

    def __enter__(self) -> VaultWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def idle(self) -> bool:
        with self._cond:
            return not self._pending and self._rescan_at is None and self.status.state != "indexing"

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is pending (for tests and `watch --once`-style callers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return False

    # -- the loop --------------------------------------------------------------------------
    def _set(self, **changes: object) -> None:
        for key, value in changes.items():
            setattr(self.status, key, value)
        self.status.updated_at = time.time()
        if self.on_update is not None:
            try:
                self.on_update(self.status)
            except Exception as exc:  # a UI callback must never kill the loop, nor fail unseen
                self._callback_failed(exc)

    def _callback_failed(self, exc: Exception) -> None:
        """Count and log a failure of ``on_update``: the traceback the first time an error
        is seen, a one-line warning when the same error repeats on every update."""
        text = f"{type(exc).__name__}: {exc}"
        repeated = text == self.status.last_callback_error
        self.status.callback_errors += 1
        self.status.last_callback_error = text
        if repeated:
            log.warning(
                "watch status callback %r failed again (%d×): %s",
                self.on_update,
                self.status.callback_errors,
                text,
            )
        else:
            log.error("watch status callback %r failed", self.on_update, exc_info=exc)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                now = time.monotonic()
                deadlines = list(self._pending.values())
                if self._rescan_at is not None:
                    deadlines.append(self._rescan_at)
                if not deadlines:
                    self._cond.wait(timeout=1.0)
                    continue
                soonest = min(deadlines)
                if soonest > now:
                    self._cond.wait(timeout=soonest - now)
                    continue
                due = [rel for rel, t in self._pending.items() if t <= now]
                for rel in due:
                    del self._pending[rel]
                rescan = self._rescan_at is not None and self._rescan_at <= now
                if rescan:
                    self._rescan_at = None
            self._process(due, rescan)

    def _process(self, due: list[str], rescan: bool) -> None:
        self._set(state="indexing", pending=len(due) if not rescan else max(len(due), 1))
        try:
            report = self.journal.reindex() if rescan else self.journal.update_paths(due)
        except Exception as exc:  # keep watching, and try these paths again a bit later
            log.warning(
                "watch: indexing %s failed; retrying soon", "the vault" if rescan else due, exc_info=True
            )
            retry_at = time.monotonic() + max(self.debounce, 0.05) * 10
            with self._cond:
                for rel in due:
                    self._pending.setdefault(rel, retry_at)
                if rescan and self._rescan_at is None:
                    self._rescan_at = retry_at
                self._cond.notify()
            self._set(state="error", error=f"{type(exc).__name__}: {exc}", pending=len(due))
            return
        self._set(state="watching", pending=0, last_report=report, error=None)
