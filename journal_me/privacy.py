"""Sticky privacy: an entry once known as private stays fenced until the user says otherwise.

A sync client, another editor or a slip of the hand can drop ``private: true`` from an entry.
The journal then does not believe the file at once: the entry stays fenced (stored private in
the index: never sent to the bridge, never in a training set) and the change waits in
``privacy.json`` in the data dir until the user confirms it (``Journal.confirm_privacy``).
A save from journal-me's own editor asks first and records the answer here.

The same file records entries whose front matter stopped parsing since they were last indexed
(for ``doctor``). Derived state: a missing or mangled file reads as empty.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me import timestamps
from journal_me.fsutil import JsonFileError, read_json
from journal_me.vault import atomic_write

log = logging.getLogger(__name__)

VANISHED_DAYS = 7


@dataclass(frozen=True)
class PrivacyChange:
    """An entry the journal knew as private that now reads as public (not yet confirmed)."""

    rel: str
    was: str  # "private"
    now: str  # "public"
    since: dt.datetime


@dataclass(frozen=True)
class FrontMatterRegression:
    """An entry whose front matter parsed when it was last indexed and does not any more."""

    rel: str
    error: str
    since: dt.datetime


def _when(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            return timestamps.parse(value)
        except ValueError:
            pass
    return timestamps.now()


class PrivacyLedger:
    """``privacy.json``: pending privacy changes, confirmed ones, front matter regressions."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.pending: dict[str, dict[str, str]] = {}
        self.confirmed: set[str] = set()  # saves the user confirmed, not yet indexed
        self.regressions: dict[str, dict[str, str]] = {}
        # private entries that vanished (a sync client deletes and recreates files): a file
        # that comes back under the same name within VANISHED_DAYS was private before
        self.vanished: dict[str, str] = {}
        self._load()

    def reload(self) -> None:
        """Read the file again (another journal-me process, the TUI beside ``watch``, may
        have changed it): called before each batch of changes."""
        with self._lock:
            self.pending, self.confirmed, self.regressions, self.vanished = {}, set(), {}, {}
            self._load()

    def _load(self) -> None:
        try:
            raw = read_json(self.path)
        except JsonFileError as exc:  # derived state: read as empty, but say so
            log.warning("privacy ledger unreadable, starting empty: %s", exc)
            return
        if raw is None:
            return
        for key, target in (("pending", self.pending), ("regressions", self.regressions)):
            table = raw.get(key)
            if isinstance(table, dict):
                for rel, info in table.items():
                    if isinstance(rel, str) and isinstance(info, dict):
                        target[rel] = {str(k): str(v) for k, v in info.items()}
        vanished = raw.get("vanished")
        if isinstance(vanished, dict):
            self.vanished = {str(k): str(v) for k, v in vanished.items()}
        confirmed = raw.get("confirmed")
        if isinstance(confirmed, list):
            self.confirmed = {r for r in confirmed if isinstance(r, str)}

    def snapshot(self) -> str:
        with self._lock:
            return json.dumps(
                {
                    "pending": self.pending,
                    "confirmed": sorted(self.confirmed),
                    "regressions": self.regressions,
                    "vanished": self.vanished,
                },
                indent=1,
                sort_keys=True,
            )

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, self.snapshot())

    # -- privacy ---------------------------------------------------------------------------
    def fenced(self, rel: str) -> bool:
        return rel in self.pending

    def note_public(self, rel: str, *, was_private: bool) -> bool:
        """An entry reads as public now. Returns whether it must stay fenced."""
        with self._lock:
            if rel in self.confirmed:
                self.confirmed.discard(rel)
                self.pending.pop(rel, None)
                return False
            if rel in self.pending:
                return True
            vanished = self.vanished.pop(rel, None)
            if vanished is not None and _when(vanished) > timestamps.now() - dt.timedelta(days=VANISHED_DAYS):
                was_private = True
            if was_private:
                self.pending[rel] = {"was": "private", "now": "public", "since": timestamps.now_iso()}
                return True
            return False

    def note_private(self, rel: str) -> None:
        """An entry reads as private (again): nothing is pending for it."""
        with self._lock:
            self.pending.pop(rel, None)
            self.confirmed.discard(rel)
            self.vanished.pop(rel, None)

    def note_gone(self, rel: str, *, was_private: bool) -> None:
        """``rel`` left the vault (or became unreadable)."""
        with self._lock:
            if was_private or rel in self.pending:
                self.vanished[rel] = timestamps.now_iso()
            self.pending.pop(rel, None)
            self.confirmed.discard(rel)
            self.regressions.pop(rel, None)
            cutoff = timestamps.now() - dt.timedelta(days=VANISHED_DAYS)
            for old in [r for r, since in self.vanished.items() if _when(since) < cutoff]:
                del self.vanished[old]

    def confirm(self, rel: str) -> None:
        """The user agreed that ``rel`` is public now."""
        with self._lock:
            self.pending.pop(rel, None)
            self.confirmed.add(rel)

    def changes(self) -> list[PrivacyChange]:
        with self._lock:
            return [
                PrivacyChange(
                    rel, info.get("was", "private"), info.get("now", "public"), _when(info.get("since"))
                )
                for rel, info in sorted(self.pending.items())
            ]

    # -- front matter ----------------------------------------------------------------------
    def note_meta(self, rel: str, error: str | None, *, parsed_before: bool) -> None:
        with self._lock:
            if error is None:
                self.regressions.pop(rel, None)
            elif parsed_before and rel not in self.regressions:
                self.regressions[rel] = {"error": error, "since": timestamps.now_iso()}

    def front_matter_regressions(self) -> list[FrontMatterRegression]:
        with self._lock:
            return [
                FrontMatterRegression(rel, info.get("error", ""), _when(info.get("since")))
                for rel, info in sorted(self.regressions.items())
            ]
