"""The metric store: every metric observation of the vault, in SQLite in the vault's data dir.

Derived state, rebuilt from the vault: ``refresh(journal)`` compares the index's manifest
(rel → digest, one read) with the digests the store last read and re-reads only the entries
that changed, so it costs one manifest read when nothing did. The CLI (``metrics``, ``log``),
the chat's metric answers and the TUI's Life screen call it after the index is up to date.

Private entries' values are stored with ``private = 1`` (the index's fence included: a
conflict copy or an unconfirmed privacy change counts as private). Readers pass
``include_private``; anything that can reach a prompt for someone else (the profile) passes
False. The bridge and the trainer never read this store.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import statistics
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from journal_me.life.metrics import Observation, extract, front_matter_key_lines
from journal_me.vault import FRONT_MATTER_RE, EntryReadError, load_front_matter

if TYPE_CHECKING:
    from journal_me.api import Journal

__all__ = [
    "MetricInfo",
    "MetricPoint",
    "MetricStore",
    "daily_values",
    "open_store",
    "refresh",
    "store_file",
]

SCHEMA_VERSION = 1
FILE_NAME = "metrics.sqlite3"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    n: int  # observations with a number
    n_text: int  # observations with text only
    first: dt.date
    last: dt.date
    unit: str | None  # the most common unit


@dataclass(frozen=True)
class MetricPoint:
    day: dt.date
    value: float | None
    value2: float | None
    unit: str | None
    text: str
    rel: str
    line: int
    source: str
    private: bool


def store_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


class MetricStore:
    """One SQLite file; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        target = ":memory:" if path is None else str(path)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
        self._db = sqlite3.connect(target, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        if path is not None:
            if fresh:
                os.chmod(path, 0o600)  # the diary's shadow: owner only
            self._db.execute("PRAGMA journal_mode=WAL")
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            # derived state: an unknown version is dropped and re-read from the vault
            self._db.executescript(
                """
                DROP TABLE IF EXISTS entries;
                DROP TABLE IF EXISTS obs;
                CREATE TABLE entries (rel TEXT PRIMARY KEY, digest TEXT NOT NULL, private INTEGER NOT NULL);
                CREATE TABLE obs (
                    rel TEXT NOT NULL, day TEXT NOT NULL, name TEXT NOT NULL, value REAL, value2 REAL,
                    unit TEXT, text TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL,
                    private INTEGER NOT NULL
                );
                CREATE INDEX obs_name_day ON obs (name, day);
                CREATE INDEX obs_rel ON obs (rel);
                """
            )
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------
    def known(self) -> dict[str, tuple[str, bool]]:
        with self._lock:
            rows = self._db.execute("SELECT rel, digest, private FROM entries").fetchall()
        return {r[0]: (r[1], bool(r[2])) for r in rows}

    def put(
        self, rel: str, digest: str, day: dt.date | None, private: bool, observations: Iterable[Observation]
    ) -> None:
        self.put_many([(rel, digest, day, private, list(observations))])

    def put_many(self, items: Iterable[tuple[str, str, dt.date | None, bool, Sequence[Observation]]]) -> None:
        """Replace what is stored for each entry, all in one transaction."""
        with self._tx() as db:
            for rel, digest, day, private, observations in items:
                db.execute("DELETE FROM obs WHERE rel = ?", (rel,))
                db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (rel, digest, int(private)))
                if day is None:
                    continue
                db.executemany(
                    "INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            rel,
                            day.isoformat(),
                            o.name,
                            o.value,
                            o.value2,
                            o.unit,
                            o.text,
                            o.source,
                            o.line,
                            int(private),
                        )
                        for o in observations
                    ],
                )

    def remove(self, rels: Iterable[str]) -> None:
        with self._tx() as db:
            for rel in rels:
                db.execute("DELETE FROM obs WHERE rel = ?", (rel,))
                db.execute("DELETE FROM entries WHERE rel = ?", (rel,))

    # -- reading ---------------------------------------------------------------------------
    def metrics(
        self,
        *,
        include_private: bool = True,
        start: dt.date | None = None,
        end: dt.date | None = None,
        with_text_only: bool = False,
    ) -> list[MetricInfo]:
        """Each metric with a number (``with_text_only``: also those with text only)."""
        where, params = _where(include_private, start, end)
        with self._lock:
            rows = self._db.execute(
                "SELECT name, SUM(value IS NOT NULL), SUM(value IS NULL), "
                "COALESCE(MIN(CASE WHEN value IS NOT NULL THEN day END), MIN(day)), "
                "COALESCE(MAX(CASE WHEN value IS NOT NULL THEN day END), MAX(day)) "
                f"FROM obs {where} "
                "GROUP BY name ORDER BY name",
                params,
            ).fetchall()
            units: dict[str, str | None] = {}
            for name, unit in self._db.execute(
                f"SELECT name, unit FROM obs {where} {'AND' if where else 'WHERE'} "
                "value IS NOT NULL AND unit IS NOT NULL GROUP BY name, unit ORDER BY COUNT(*), unit DESC",
                params,
            ):
                units[name] = unit  # ascending counts: the most common unit is written last
        out: list[MetricInfo] = []
        for name, n, n_text, first, last in rows:
            if not n and not with_text_only:
                continue
            out.append(
                MetricInfo(
                    name,
                    int(n or 0),
                    int(n_text or 0),
                    dt.date.fromisoformat(first),
                    dt.date.fromisoformat(last),
                    units.get(name),
                )
            )
        return out

    def series(
        self,
        name: str,
        *,
        include_private: bool = True,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[MetricPoint]:
        """Every observation of ``name`` (numbers and text), oldest first."""
        where, params = _where(include_private, start, end)
        where = (where + " AND" if where else "WHERE") + " name = ?"
        with self._lock:
            rows = self._db.execute(
                "SELECT day, value, value2, unit, text, rel, line, source, private FROM obs "
                f"{where} ORDER BY day, rel, line",
                [*params, name],
            ).fetchall()
        return [
            MetricPoint(
                dt.date.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], bool(r[8])
            )
            for r in rows
        ]

    def entry_days(self, *, include_private: bool = True) -> int:
        with self._lock:
            q = "SELECT COUNT(DISTINCT day) FROM obs" + ("" if include_private else " WHERE private = 0")
            return int(self._db.execute(q).fetchone()[0])


def _where(include_private: bool, start: dt.date | None, end: dt.date | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if not include_private:
        clauses.append("private = 0")
    if start is not None:
        clauses.append("day >= ?")
        params.append(start.isoformat())
    if end is not None:
        clauses.append("day <= ?")
        params.append(end.isoformat())
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def daily_values(points: Iterable[MetricPoint]) -> list[tuple[dt.date, float, list[MetricPoint]]]:
    """One value per day (the mean of that day's numbers) with the points behind it."""
    by_day: dict[dt.date, list[MetricPoint]] = {}
    for p in points:
        if p.value is not None:
            by_day.setdefault(p.day, []).append(p)
    return [
        (day, statistics.fmean(p.value for p in pts if p.value is not None), pts)
        for day, pts in sorted(by_day.items())
    ]


# -- keeping it in step with the vault ------------------------------------------------------
_stores: dict[Path, MetricStore] = {}
_stores_lock = threading.Lock()


def open_store(journal: Journal) -> MetricStore:
    """The journal's metric store (one per data dir and process)."""
    path = store_file(journal.data_dir)
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = MetricStore(path)
        return store


def observations_of(data: bytes) -> list[Observation]:
    """The metric observations in one markdown file's bytes (broken front matter: none from it)."""
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, Any] = {}
    body, offset = text, 0
    m = FRONT_MATTER_RE.match(text)
    if m is not None:
        body = text[m.end() :]
        offset = text[: m.end()].count("\n")
        try:
            meta = load_front_matter(m.group(2))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
            meta = {}
    return extract(meta, body, body_line_offset=offset, key_lines=front_matter_key_lines(text))


def refresh(journal: Journal, store: MetricStore | None = None) -> MetricStore:
    """Bring the store in step with the journal's index (re-read changed entries only)."""
    store = store or open_store(journal)
    summaries = {s.rel: s for s in journal.entries()}
    manifest = {rel: s.digest for rel, s in summaries.items()}
    known = store.known()
    gone = [rel for rel in known if rel not in manifest]
    if gone:
        store.remove(gone)
    batch: list[tuple[str, str, dt.date | None, bool, Sequence[Observation]]] = []
    for rel, digest in manifest.items():
        if len(batch) >= 500:
            store.put_many(batch)
            batch = []
        summary = summaries.get(rel)
        fenced = bool(summary.private) if summary is not None else True
        had = known.get(rel)
        if had is not None and had[0] == digest and had[1] == fenced:
            continue
        # date, privacy (the index's fence included), undated and conflict copies come from
        # the index; only the front matter and the body are read here (no markup parsing)
        if summary is None or summary.undated or summary.conflict_of or not rel.lower().endswith(".md"):
            batch.append((rel, digest, None, fenced, ()))
            continue
        try:
            data, _mtime = journal.read_bytes(rel)
        except (EntryReadError, OSError):
            batch.append((rel, digest, None, True, ()))
            continue
        batch.append((rel, digest, summary.date, fenced, observations_of(data)))
    if batch:
        store.put_many(batch)
    return store
