"""The one door to the journal for the TUI, chat, bridge and trainer.

>>> journal = open_vault("vault")          # doctest: +SKIP
>>> journal.reindex()                     # doctest: +SKIP
>>> journal.search("when did I start running?")[0].entry.date  # doctest: +SKIP

``Journal`` is safe to share between threads: writes to the index and graph are serialised
by one lock; searches may run while the watch loop indexes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar

from journal_me import statcache
from journal_me.config import Settings, load_settings
from journal_me.daily import DailyNotes, daily_settings
from journal_me.datadir import clean_temp_leftovers, secure_data_dir, secure_folder
from journal_me.privacy import FrontMatterRegression, PrivacyChange, PrivacyLedger
from journal_me.vault import (
    FRONT_MATTER_RE,
    Entry,
    EntryReadError,
    FileWarning,
    SaveResult,
    Vault,
    VaultError,
    VaultNotFoundError,
    atomic_write,
    parse_entry,
    render_new_entry,
    sha256_bytes,
)

# The memory (Whoosh index, numpy scorer, entity graph, retriever) loads on first use, not at
# import: `journal-me add`, `new` and `--help` never pay for it, `entities` and `doctor` read
# only the graph store.
if TYPE_CHECKING:
    from journal_me.memory.graph import EntityGraph, EntityInfo, Related, TimelinePoint
    from journal_me.memory.index import IndexedEntry, PassageIndex
    from journal_me.memory.parse_pool import ParsedBatch
    from journal_me.memory.retrieval import EntryRef, Hit, QueryPlan, Retriever

log = logging.getLogger(__name__)

# names this module re-exports from the memory modules, imported when first asked for
_LAZY_EXPORTS = {
    "EntityInfo": "journal_me.memory.graph",
    "Related": "journal_me.memory.graph",
    "TimelinePoint": "journal_me.memory.graph",
    "EntryRef": "journal_me.memory.retrieval",
    "Hit": "journal_me.memory.retrieval",
    "QueryPlan": "journal_me.memory.retrieval",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ConflictInfo",
    "EntityInfo",
    "Entry",
    "EntryReadError",
    "EntryRef",
    "EntrySummary",
    "FileWarning",
    "FrontMatterRegression",
    "Hit",
    "IndexReport",
    "Journal",
    "PrivacyChange",
    "QueryPlan",
    "Related",
    "RelatedEntry",
    "SaveResult",
    "TimelinePoint",
    "VaultError",
    "open_vault",
]

Progress = Callable[[int, int, str], None]  # done, total, what


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    warnings: list[FileWarning] = field(default_factory=list)
    seconds: float = 0.0
    recovered: str | None = None

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed

    def summary(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.removed} removed",
            f"{self.unchanged} unchanged",
        ]
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning(s)")
        return ", ".join(parts) + f" in {self.seconds:.2f}s"


@dataclass
class _Digests:
    """What a refresh learnt of each file (its digest; None: unreadable), and whether the
    refresh cache needs writing although nothing changed."""

    values: dict[str, str | None] = field(default_factory=dict)
    racy_seen: bool = False  # a racily clean file was hashed: record it with a later walk
    restat: bool = False  # stats moved without a change (touched files, unreadable ones gone)


@dataclass(frozen=True)
class EntrySummary:
    rel: str
    date: dt.date
    title: str
    tags: tuple[str, ...]
    private: bool
    note: bool = False  # a page about a person/place/topic (people/Sam.md), not a diary entry
    undated: bool = False  # no date in front matter or file name (shown under "Notes")
    conflict_of: str | None = None  # a conflict copy of this entry, awaiting resolution
    digest: str = ""  # sha256 of the file as indexed: what the entry's content was


@dataclass(frozen=True)
class ConflictInfo:
    """A ``NAME.conflict-YYYYmmdd-HHMMSS.md`` copy kept when a save met a changed file."""

    rel: str  # the copy
    original_rel: str  # NAME.md, the version on disk under the entry's name
    created: dt.datetime | None  # from the stamp in the copy's name


CONFLICT_RE = re.compile(r"^(?P<stem>.+)\.conflict-(?P<stamp>\d{8}-\d{6})(?:-\d+)?\.md$")
# a sync client briefly deletes and recreates a file: how long ``append`` waits for the
# day's note to come back before creating it
APPEND_REAPPEAR_S = 1.0
# a quick add whose text is on disk waits this long for another process's index lock, then
# leaves the indexing to the next index (a "try again" would add the text twice)
APPEND_INDEX_WAIT_S = 3.0


def conflict_original(rel: str) -> tuple[str, dt.datetime | None] | None:
    """For a conflict copy's rel: the original's rel and when the copy was made."""
    folder, _, name = rel.rpartition("/")
    m = CONFLICT_RE.match(name)
    if not m:
        return None
    original = (f"{folder}/" if folder else "") + m.group("stem") + ".md"
    try:
        created: dt.datetime | None = dt.datetime.strptime(m.group("stamp"), "%Y%m%d-%H%M%S")
    except ValueError:
        created = None
    return original, created


class _Fenceable(Protocol):
    """What sticky privacy reads of an entry: an :class:`Entry`, or a parsed batch's stub."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def rel(self) -> str: ...
    @property
    def private(self) -> bool: ...
    @property
    def conflict_of(self) -> str | None: ...


_E = TypeVar("_E", bound=_Fenceable)


def _is_conflict(entry: _Fenceable) -> bool:
    return entry.conflict_of is not None or conflict_original(entry.rel) is not None


@dataclass(frozen=True)
class RelatedEntry:
    """An entry that shares people, places or topics with another one."""

    rel: str
    date: dt.date
    title: str
    shared: tuple[str, ...]  # the entities both mention, strongest first
    score: float


class Journal:
    """A vault with its L1 memory (index + graph)."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_wait: Callable[[str], None] | None = None,
        defer_index: bool = False,
        one_shot: bool = False,
    ) -> None:
        self.settings = settings
        self._one_shot = one_shot
        self._vault = Vault(settings.vault, ignore=settings.ignore, private_tags=settings.private_tags)
        if not self._vault.root.is_dir():
            raise VaultNotFoundError(
                f"vault folder not found: {self._vault.root} (choose one with --vault, "
                "$JOURNAL_ME_VAULT or `vault = ...` in the config file)"
            )
        self.data_dir = settings.vault_data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # the data dir quotes a private journal: owner-only, and tightened if it was not
        secure_data_dir(self.data_dir)
        clean_temp_leftovers(self.data_dir)  # of writes killed midway (kill -9, power loss)
        for folder in (settings.data_root, settings.data_root / "vaults"):
            secure_folder(folder)
        # (the vault's own leftovers, hidden temp files of a killed save, are removed by the
        # next refresh, from its stat walk: a second walk at every open cost ~20 ms at 10k)
        self._privacy = PrivacyLedger(self.data_dir / "privacy.json")
        # set when a write reached the vault but the index could not take it (locked by
        # another process…): the write stands, the next index catches up
        self.last_index_error: str | None = None
        # Two locks: one writer at a time (reindex, update_paths: minutes for a first index), and
        # the graph and caches as readers see them, which a writer holds only while it changes
        # them. So the TUI's people screen and side panel, and search, do not wait for an index
        # write. Order: _write_lock, then _lock.
        self._write_lock = threading.RLock()
        self._lock = threading.RLock()
        self._on_wait = on_wait
        # opened on first use (see the properties): a quick add never loads the index
        self._index_or_none: PassageIndex | None = None
        self._graph_or_none: EntityGraph | None = None
        self._retriever_or_none: Retriever | None = None
        self._open_lock = threading.Lock()
        # writes (new, append, save) leave indexing to the next refresh: `journal-me add`
        # and `new` set it, so they never load the index
        self.defer_index = defer_index
        self._warnings: dict[str, FileWarning] = self._load_warnings()
        self._summaries: dict[str, EntrySummary] | None = None

    # -- the memory, opened on first use ---------------------------------------------------
    @property
    def _index(self) -> PassageIndex:
        if self._index_or_none is None:
            with self._open_lock:
                if self._index_or_none is None:
                    from journal_me.memory.index import PassageIndex

                    index = PassageIndex(self.settings.index_dir, on_wait=self._on_wait)
                    if self._one_shot:
                        from journal_me.memory.index import ONE_SHOT_FAST_PATH_MIN_DOCS

                        index.fast_path_min_docs = max(index.fast_path_min_docs, ONE_SHOT_FAST_PATH_MIN_DOCS)
                    self._index_or_none = index
        return self._index_or_none

    @_index.setter
    def _index(self, value: PassageIndex) -> None:
        self._index_or_none = value

    @property
    def _graph(self) -> EntityGraph:
        if self._graph_or_none is None:
            with self._open_lock:
                if self._graph_or_none is None:
                    self._graph_or_none = self._load_graph()
        return self._graph_or_none

    @_graph.setter
    def _graph(self, value: EntityGraph) -> None:
        self._graph_or_none = value

    @property
    def _retriever(self) -> Retriever:
        if self._retriever_or_none is None:
            index, graph = self._index, self._graph  # (each takes _open_lock)
            with self._open_lock:
                if self._retriever_or_none is None:
                    from journal_me.memory.retrieval import Retriever

                    self._retriever_or_none = Retriever(index, graph, self._vault.root)
        return self._retriever_or_none

    @_retriever.setter
    def _retriever(self, value: Retriever) -> None:
        self._retriever_or_none = value

    @property
    def index_recovered(self) -> str | None:
        """Why the index was rebuilt when it opened (damaged), if it was and it is open."""
        return self._index_or_none.recovered if self._index_or_none is not None else None

    # -- state files -----------------------------------------------------------------------
    @property
    def _warnings_file(self) -> Path:
        return self.data_dir / "warnings.json"

    def _load_warnings(self) -> dict[str, FileWarning]:
        try:
            raw = json.loads(self._warnings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, list):
            return {}  # derived state of the wrong shape: the next index rewrites it
        out: dict[str, FileWarning] = {}
        for w in raw:
            if isinstance(w, dict) and isinstance(w.get("rel"), str) and isinstance(w.get("reason"), str):
                out[w["rel"]] = FileWarning(w["rel"], w["reason"])
        return out

    def _save_warnings(self) -> None:
        data = [{"rel": w.rel, "reason": w.reason} for w in self._warnings.values()]
        atomic_write(self._warnings_file, json.dumps(data, indent=1))

    def _load_graph(self) -> EntityGraph:
        """The graph store (SQLite, opened without reading it). A ``graph.json`` of earlier
        versions is derived state: deleted, and the next index fills the store."""
        old = self.settings.graph_file
        if old.suffix == ".json":
            try:
                old.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete the old graph file %s: %s", old, exc)
        from journal_me.memory.graph import EntityGraph
        from journal_me.memory.graph_store import store_path

        return EntityGraph.open(store_path(self.data_dir))

    @property
    def warnings(self) -> list[FileWarning]:
        """Files that could not be read (or read only partly) at the last (re)index."""
        return sorted(self._warnings.values(), key=lambda w: w.rel)

    # -- indexing --------------------------------------------------------------------------
    @property
    def _refresh_file(self) -> Path:
        return self.data_dir / statcache.CACHE_NAME

    def _trusted_cache(self) -> statcache.StatCache | None:
        """The refresh cache, when the index and graph are as it left them."""
        cache = statcache.StatCache.load(self._refresh_file)
        if cache is None or self._index.incomplete:
            return None
        if cache.index_mark != statcache.folder_mark(self.settings.index_dir):
            return None  # written since by another process (the TUI, watch), rebuilt, recovered
        if set(self._graph.known_entries()) != cache.indexed():
            return None  # a graph store deleted or replaced, a write that failed midway
        return cache

    def reindex(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Bring index and graph up to date with the vault.

        One ``stat`` per file; only files whose stat changed since the last refresh are read,
        and their digest decides whether they changed (see :mod:`journal_me.statcache`). When
        nothing changed, neither the index's manifest nor any file is read."""
        start = time.perf_counter()
        report = IndexReport(recovered=self._index.recovered)  # (opening it may recover it)
        with self._write_lock, self._ledger_batch():
            was_private: set[str] = set()
            if rebuild:
                statcache.delete(self._refresh_file)
                was_private = self._fenced_in_index(None)
                with self._lock:
                    self._index.clear()
                    self._graph.clear()
            scan_warnings: list[FileWarning] = []
            walked_ns = time.time_ns()
            leftovers: list[str] = []
            stats = self._vault.stat_walk(scan_warnings, leftovers)
            if leftovers:
                self._remove_leftovers(leftovers)
            walk = statcache.walk_signature(stats)
            if not rebuild and self._unchanged_since_stamp(walk):
                # the files, index and graph as the last refresh left them: nothing to read
                previous = self._warnings
                warnings = {w.rel: w for w in scan_warnings}
                warnings.update((rel, w) for rel, w in previous.items() if rel in stats)
                self._warnings = warnings
                report.unchanged = len(stats)
                report.warnings = self.warnings
                report.seconds = time.perf_counter() - start
                self._index.recovered = None
                return report
            cache = None if rebuild else self._trusted_cache()
            if cache is not None:
                changed, gone, digests = self._changed_since(cache, stats, scan_warnings, report, progress)
                self._apply(changed, gone, progress, was_private=was_private)
            else:
                old = None if rebuild else statcache.StatCache.load(self._refresh_file)
                parsed, gone, digests = self._reconcile(old, stats, scan_warnings, report, progress)
                try:
                    self._apply_parsed(parsed, gone, progress, was_private)
                finally:
                    parsed.close()
            finish = getattr(self._index, "finish_rebuild", None)
            if rebuild and callable(finish):
                finish()  # an empty vault writes nothing: the index is whole all the same
            report.warnings = self.warnings
            if cache is None or report.changed or digests.racy_seen or digests.restat:
                self._save_warnings()
                self._save_refresh_cache(stats, digests.values, walked_ns)
                self._save_stamp(walk, walked_ns)
            else:  # nothing changed, but the stamp did not say so: the next refresh reads less
                self._save_stamp(walk, cache.walked_ns)
        report.seconds = time.perf_counter() - start
        self._index.recovered = None
        return report

    def _remove_leftovers(self, paths: list[str]) -> None:
        """Remove the vault's temp files of killed saves that the stat walk passed (never a
        reason for a refresh to fail)."""
        try:
            removed = self._vault.remove_leftovers(paths)
        except OSError as exc:
            log.warning("could not clean up leftover temp files: %s", exc)
            return
        if removed:
            log.info("removed %d temp file(s) of interrupted saves: %s", len(removed), ", ".join(removed))

    @property
    def _stamp_file(self) -> Path:
        return self.data_dir / statcache.STAMP_NAME

    def _marks(self) -> dict[str, Any]:
        """The index folder, the graph store and the refresh cache as they are now: any write
        to one of them changes its mark."""
        from journal_me.memory.graph_store import store_path

        graph = store_path(self.data_dir)
        wal = statcache.file_mark(graph.with_name(graph.name + "-wal"))
        return {
            "index": statcache.folder_mark(self.settings.index_dir),
            # (an empty write-ahead log holds nothing: each process that opens the store may
            # leave a new one)
            "graph": [statcache.file_mark(graph), wal if wal and wal[0] else None],
            "cache": statcache.file_mark(self._refresh_file),
        }

    def _unchanged_since_stamp(self, walk: tuple[str, int]) -> bool:
        """Whether the stamp of the last refresh says nothing changed: the same files with the
        same stat keys, none of them racily clean (their mtime near that refresh's walk: the
        refresh cache's rule), and the index, graph store and refresh cache unwritten since.
        Then reading the refresh cache and the graph's entries would find nothing to do
        either. Anything else: the refresh as before (it writes a new stamp)."""
        stamp = statcache.load_stamp(self._stamp_file)
        if stamp is None or stamp.get("walk") != walk[0]:
            return False
        walked_ns = stamp.get("walked_ns")
        if not isinstance(walked_ns, int) or walk[1] >= walked_ns - statcache.RACY_NS:
            return False
        if self._index.incomplete:
            return False
        marks = self._marks()
        return marks["cache"] is not None and all(stamp.get(name) == mark for name, mark in marks.items())

    def _save_stamp(self, walk: tuple[str, int], walked_ns: int) -> None:
        """After a refresh that left index, graph and refresh cache in step with ``walk``."""
        statcache.save_stamp(self._stamp_file, {"walk": walk[0], "walked_ns": walked_ns, **self._marks()})

    def _save_refresh_cache(
        self, stats: dict[str, os.stat_result], digests: dict[str, str | None], walked_ns: int
    ) -> None:
        files = {
            rel: statcache.Seen(statcache.stat_key(st), digests.get(rel))
            for rel, st in stats.items()
            if rel in digests
        }
        cache = statcache.StatCache(
            files=files, walked_ns=walked_ns, index_mark=statcache.folder_mark(self.settings.index_dir)
        )
        try:
            cache.save(self._refresh_file)
        except (OSError, VaultError) as exc:  # only a cache: the next refresh reads more
            log.warning("could not save %s: %s", self._refresh_file, exc)

    def _read_changed(
        self, rel: str, warnings: dict[str, FileWarning]
    ) -> tuple[bytes | None, float, str | None]:
        """(bytes, mtime, digest) of ``rel``; (None, 0, None) with a warning if unreadable."""
        try:
            data, mtime = self._vault.read_bytes(rel)
        except EntryReadError as exc:
            warnings[rel] = FileWarning(rel, str(exc))
            return None, 0.0, None
        return data, mtime, sha256_bytes(data)

    def _parse_changed(
        self,
        rel: str,
        data: bytes,
        mtime: float,
        warnings: dict[str, FileWarning],
        *,
        parsed_before: bool,
    ) -> Entry | None:
        try:
            entry = parse_entry(
                rel, data, path=self._vault.root / rel, mtime=mtime, private_tags=self._vault.private_tags
            )
        except EntryReadError as exc:
            warnings[rel] = FileWarning(rel, str(exc))
            return None
        if entry.meta_error:
            warnings[rel] = FileWarning(rel, entry.meta_error)
        self._privacy.note_meta(rel, entry.meta_error, parsed_before=parsed_before)
        return entry

    def _changed_since(
        self,
        cache: statcache.StatCache,
        stats: dict[str, os.stat_result],
        scan_warnings: list[FileWarning],
        report: IndexReport,
        progress: Progress | None,
    ) -> tuple[list[Entry], list[str], _Digests]:
        """What changed since a trusted refresh cache: only files whose stat moved are read."""
        previous = dict(self._warnings)
        warnings = {w.rel: w for w in scan_warnings}
        digests = _Digests()
        changed: list[Entry] = []
        gone: list[str] = []
        reads: list[str] = []
        for rel, st in stats.items():
            seen = cache.files.get(rel)
            if seen is not None and not cache.needs_read(rel, st):
                digests.values[rel] = seen.digest
                report.unchanged += 1
                if rel in previous:  # e.g. bad YAML, unreadable: still true, file unchanged
                    warnings[rel] = previous[rel]
                continue
            reads.append(rel)
        total = len(reads)
        for i, rel in enumerate(reads):
            if progress and i % 200 == 0:
                progress(i, total, "reading")
            seen = cache.files.get(rel)
            digests.racy_seen |= seen is not None and cache.racy(seen)
            data, mtime, digest = self._read_changed(rel, warnings)
            digests.values[rel] = digest
            if data is None or digest is None:
                if seen is not None and seen.digest is not None:
                    gone.append(rel)  # indexed, now unreadable: out of the index
                continue
            if seen is not None and seen.digest == digest:
                digests.restat = True  # touched, not changed: only the stat moved
                report.unchanged += 1
                if rel in previous:
                    warnings[rel] = previous[rel]
                continue
            entry = self._parse_changed(
                rel, data, mtime, warnings, parsed_before=seen is not None and rel not in previous
            )
            if entry is None:
                digests.values[rel] = None
                if seen is not None and seen.digest is not None:
                    gone.append(rel)
                continue
            changed.append(entry)
        gone.extend(rel for rel, seen in cache.files.items() if rel not in stats and seen.digest is not None)
        in_index = self._index.digests([*(e.rel for e in changed), *gone]) if changed or gone else {}
        for e in changed:
            if e.rel in in_index:
                report.updated += 1
            else:
                report.added += 1
        gone = [rel for rel in gone if rel in in_index]
        report.removed = len(gone)
        digests.restat |= len(stats) != len(cache.files)  # e.g. an unreadable file went away
        self._warnings = warnings  # one swap: readers never see a half-built table
        return changed, gone, digests

    def _reconcile(
        self,
        old: statcache.StatCache | None,
        stats: dict[str, os.stat_result],
        scan_warnings: list[FileWarning],
        report: IndexReport,
        progress: Progress | None,
    ) -> tuple[ParsedBatch, list[str], _Digests]:
        """Vault against the whole index (first refresh, or the index changed meanwhile):
        files whose stat matches an old refresh cache are still not read."""
        from journal_me.memory import parse_pool

        manifest = self._index.manifest()
        known = set(self._graph.known_entries())
        # graph and index can disagree (a crash or a failed index write between the
        # two saves, a deleted graph file): forget what the index lacks, re-read what
        # the graph lacks. Never clear the index here: another process may be using it.
        with self._lock:
            for rel in known - set(manifest):
                self._graph.remove(rel)
        stale = set(manifest) - known
        previous = dict(self._warnings)
        warnings = {w.rel: w for w in scan_warnings}
        digests = _Digests()
        unreadable: list[str] = []
        tasks: list[parse_pool.Task] = []
        for rel, st in stats.items():
            seen = old.files.get(rel) if old is not None else None
            if (
                old is not None
                and seen is not None
                and seen.digest is not None
                and not old.needs_read(rel, st)
                and rel not in stale
                and manifest.get(rel) == seen.digest
            ):
                digests.values[rel] = seen.digest
                report.unchanged += 1
                if rel in previous:
                    warnings[rel] = previous[rel]
                continue
            # a file whose digest is the index's is not parsed (unless the graph lacks it)
            tasks.append(parse_pool.Task(rel, None if rel in stale else manifest.get(rel)))
        # read and parsed on every core for a big batch; the parsed entries wait on disk for
        # the index write, only their graph mentions stay in memory (see parse_pool)
        changed = parse_pool.ParsedBatch(self.settings.vault_data_dir)
        try:
            total = len(stats)
            done = total - len(tasks)
            for i, parsed in enumerate(
                parse_pool.parse_files(tasks, self._vault.read_bytes, self._parse_file)
            ):
                if progress and (done + i) % 200 == 0:
                    progress(done + i, total, "reading")
                rel = parsed.rel
                digests.values[rel] = parsed.digest
                if parsed.digest is None:  # unreadable
                    warnings[rel] = FileWarning(rel, parsed.error or "unreadable")
                    unreadable.append(rel)
                    continue
                if parsed.unchanged:
                    report.unchanged += 1
                    if rel in previous:  # e.g. bad YAML: still true, file unchanged
                        warnings[rel] = previous[rel]
                    continue
                if parsed.error is not None:  # not text, or could not be parsed
                    warnings[rel] = FileWarning(rel, parsed.error)
                    digests.values[rel] = None
                    unreadable.append(rel)
                    continue
                if parsed.meta_error:
                    warnings[rel] = FileWarning(rel, parsed.meta_error)
                self._privacy.note_meta(
                    rel, parsed.meta_error, parsed_before=rel in manifest and rel not in previous
                )
                changed.add(parsed)
                if rel in manifest:
                    report.updated += 1
                else:
                    report.added += 1
        except BaseException:
            changed.close()
            raise
        gone = [rel for rel in manifest if rel not in stats or rel in unreadable]
        report.removed = len(gone)
        self._warnings = warnings  # one swap: readers never see a half-built table
        return changed, gone, digests

    def _parse_file(self, rel: str, data: bytes, mtime: float) -> Entry:
        """A file's bytes parsed (in a parse worker, or here: see parse_pool)."""
        return parse_entry(
            rel, data, path=self._vault.root / rel, mtime=mtime, private_tags=self._vault.private_tags
        )

    def update_paths(self, rels: Iterable[str]) -> IndexReport:
        """Reconcile the given vault paths with disk (the watch loop calls this)."""
        start = time.perf_counter()
        report = IndexReport()
        with self._write_lock, self._ledger_batch():
            wanted = list(dict.fromkeys(rels))
            # only these paths' digests: reading the whole manifest took ~150 ms at 10k entries
            manifest = self._index.digests(wanted)
            # the refresh cache follows this write when it was in step with the index before
            # it: the next CLI refresh then still reads nothing it need not
            cache = statcache.StatCache.load(self._refresh_file)
            if cache is not None and cache.index_mark != statcache.folder_mark(self.settings.index_dir):
                cache = None
            seen: dict[str, statcache.Seen | None] = {}  # None: gone
            warnings = dict(self._warnings)
            changed: list[Entry] = []
            gone: list[str] = []
            for rel in wanted:
                if not self._vault.wants(rel):
                    continue
                path = self._vault.root / rel
                try:
                    key: statcache.StatKey | None = statcache.stat_key(path.stat())  # before the read
                except OSError:
                    key = None
                if not path.exists():
                    seen[rel] = None
                    if rel in manifest:
                        gone.append(rel)
                        report.removed += 1
                    warnings.pop(rel, None)
                    continue
                try:
                    entry = self._vault.read(rel)
                except EntryReadError as exc:
                    warnings[rel] = FileWarning(rel, str(exc))
                    seen[rel] = statcache.Seen(key, None) if key is not None else None
                    if rel in manifest:
                        gone.append(rel)
                        report.removed += 1
                    continue
                seen[rel] = statcache.Seen(key, entry.digest) if key is not None else None
                warnings.pop(rel, None)
                if entry.meta_error:
                    warnings[rel] = FileWarning(rel, entry.meta_error)
                parsed_before = rel in manifest and rel not in self._warnings
                self._privacy.note_meta(rel, entry.meta_error, parsed_before=parsed_before)
                if manifest.get(rel) == entry.digest:
                    report.unchanged += 1
                    continue
                if rel in manifest:
                    report.updated += 1
                else:
                    report.added += 1
                changed.append(entry)
            self._warnings = warnings
            self._apply(changed, gone, None)
            report.warnings = self.warnings
            self._save_warnings()
            if cache is not None and seen:
                for rel, item in seen.items():
                    if item is None:
                        cache.files.pop(rel, None)
                    else:
                        cache.files[rel] = item  # recorded after the last walk: hashed next time
                cache.index_mark = statcache.folder_mark(self.settings.index_dir)
                try:
                    cache.save(self._refresh_file)
                except (OSError, VaultError) as exc:
                    log.warning("could not save %s: %s", self._refresh_file, exc)
        report.seconds = time.perf_counter() - start
        return report

    def _apply(
        self,
        changed: Sequence[Entry],
        gone: Sequence[str],
        progress: Progress | None,
        *,
        was_private: set[str] | None = None,
    ) -> None:
        """Graph, then index, then the graph file. Called under ``_write_lock``: only writers
        change the graph, so reading it here needs no ``_lock``."""
        if not changed and not gone:
            return
        changed = self._track_privacy(changed, gone, was_private or set())
        self._apply_batch(changed, gone, progress)

    @contextlib.contextmanager
    def _ledger_batch(self) -> Iterator[None]:
        """A writer's changes to ``privacy.json``: read afresh (another process may have
        changed it), saved once at the end if anything changed. Under ``_write_lock``."""
        self._privacy.reload()
        before = self._privacy.snapshot()
        try:
            yield
        finally:
            if self._privacy.snapshot() != before:
                try:
                    self._privacy.save()
                except OSError as exc:
                    log.warning("could not save %s: %s", self._privacy.path, exc)

    def _fenced_in_index(self, rels: Iterable[str] | None) -> set[str]:
        """The given entries (all when None) that the index holds as private (fenced)."""
        out: set[str] = set()
        lock = getattr(self._index, "_read_lock", None) or contextlib.nullcontext()
        try:
            with lock:
                s = self._index.searcher()
                wanted = None if rels is None else list(rels)
                if wanted is None or len(wanted) > 50:
                    # one term lookup (~50 ms at 2k entries) beats 1 ms per document
                    out = {d["rel"] for d in s.documents(kind="entry", private=True)}
                    if wanted is not None:
                        out &= set(wanted)
                else:
                    for rel in wanted:
                        doc = s.document(id=rel)
                        if doc is not None and doc.get("kind") == "entry" and doc.get("private"):
                            out.add(rel)
        except Exception as exc:  # an unreadable index: nothing known, the ledger still fences
            log.warning("could not read privacy flags from the index: %s", exc)
        return out

    def _track_privacy(self, changed: Sequence[_E], gone: Sequence[str], was_private: set[str]) -> list[_E]:
        """Sticky privacy: an entry the index knew as private and that now reads as public
        stays fenced (private for graph and index) until the user confirms the change."""
        public = [e.rel for e in changed if not e.private and not _is_conflict(e)]
        known = was_private | self._fenced_in_index([*public, *gone])
        for rel in gone:
            self._privacy.note_gone(rel, was_private=rel in known)
        out: list[_E] = []
        for e in changed:
            if e.private or _is_conflict(e):
                if not _is_conflict(e):
                    self._privacy.note_private(e.rel)
                out.append(e)
            elif self._privacy.note_public(e.rel, was_private=e.rel in known):
                out.append(self._fence(e))
            else:
                out.append(e)
        return out

    def _fence(self, entry: _E) -> _E:
        """The entry as the memory holds it: private when fenced (pending privacy change,
        conflict copy), so it never leaves for the bridge or training."""
        if entry.private:
            return entry
        if _is_conflict(entry) or self._privacy.fenced(entry.rel):
            return dataclasses.replace(entry, private=True)
        return entry

    def _apply_parsed(
        self, parsed: ParsedBatch, gone: Sequence[str], progress: Progress | None, was_private: set[str]
    ) -> None:
        """:meth:`_apply` for a batch parsed by :func:`parse_pool.parse_files`: the same graph
        and index, with the entries streamed from the spool into the index writer."""
        if not len(parsed) and not gone:
            return
        tracked = self._track_privacy(parsed.stubs, gone, was_private)
        fenced = {t.rel for s, t in zip(parsed.stubs, tracked, strict=True) if t.private and not s.private}
        mentions = [
            dataclasses.replace(em, private=True) if em.rel in fenced else em for em in parsed.mentions
        ]
        with self._lock:
            result = self._graph.apply_mentions(mentions, gone)  # one transaction
        count = len(parsed)
        del mentions, tracked
        parsed.drop_mentions()  # before the index writer forks its sub-writers from this process

        def items() -> Iterator[IndexedEntry]:
            # after the graph's transaction: the alias table is final for entity fields
            for e in parsed.entries():
                yield self._indexed(dataclasses.replace(e, private=True) if e.rel in fenced else e)
            yield from self._renamed_items(result.renamed)

        self._write_index(items(), gone, progress, count + len(result.renamed))

    def _renamed_items(self, renamed: Iterable[str]) -> Iterator[IndexedEntry]:
        """Entries outside the batch whose entity fields change with new canonical names (a
        new person page "Sam" with `aliases: [Sammy]` touches the entries naming Sam or Sammy,
        not the whole vault), read from disk now: one may have lost `private:` since it was
        indexed, unseen."""
        reread: list[Entry] = []
        for rel in renamed:
            try:
                reread.append(self._vault.read(rel))
            except EntryReadError:
                continue
        for e in self._track_privacy(reread, [], set()):
            yield self._indexed(e)

    def _write_index(
        self, items: Iterable[IndexedEntry], gone: Sequence[str], progress: Progress | None, total: int
    ) -> None:
        """One write (one commit) for the whole batch; see PassageIndex.write."""
        # (a stream's length for the writer's choice of processes; a list has its own)
        sized: dict[str, Any] = {} if isinstance(items, Sequence) else {"size": total}
        if progress:
            progress(0, total, "indexing")
            self._index.write(items, gone, on_added=lambda n: progress(n, total, "indexing"), **sized)
            progress(total, total, "indexing")
        else:
            self._index.write(items, gone, **sized)
        with self._lock:
            self._summaries = None

    def _apply_batch(self, changed: Sequence[Entry], gone: Sequence[str], progress: Progress | None) -> None:
        with self._lock:
            result = self._graph.apply_batch(changed, gone)  # one transaction
        items = [self._indexed(e) for e in changed]
        # canonical names changed: re-index the entries whose entity fields change with them
        items.extend(self._renamed_items(result.renamed))
        self._write_index(items, gone, progress, len(items))

    def _indexed(self, entry: Entry) -> IndexedEntry:
        from journal_me.memory.index import IndexedEntry
        from journal_me.memory.names_scan import NameScanner

        names = self._graph.entity_names(entry.rel)  # surface (lower) -> canonical
        entities = list(dict.fromkeys(names.values()))
        # whole words only; a passage checks only the names whose first word it has (an
        # entry's names grow with the vault: checking them all made a first index O(n²))
        scan = NameScanner(names)
        per_passage = [scan(p.text) for p in entry.passages]
        # the index stores ``private`` = entry.private or a conflict copy or fenced
        fenced = entry.private or _is_conflict(entry) or self._privacy.fenced(entry.rel)
        return IndexedEntry(entry=entry, entities=entities, passage_entities=per_passage, fenced=fenced)

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[EntrySummary]:
        """Every indexed entry, oldest first (from the index: no file is read)."""
        with self._lock:
            if self._summaries is None:
                s = self._index.searcher()
                out: dict[str, EntrySummary] = {}
                for d in s.documents(kind="entry"):
                    date = d["date"].date() if isinstance(d["date"], dt.datetime) else d["date"]
                    out[d["rel"]] = EntrySummary(
                        rel=d["rel"],
                        date=date,
                        title=d.get("title", ""),
                        tags=tuple(t for t in d.get("tags", "").split(",") if t),
                        private=bool(d.get("private", False)),
                        note=bool(d.get("isnote", False)),
                        undated=bool(d.get("undated", False)),
                        conflict_of=self._conflict_of(d),
                        digest=str(d.get("digest", "")),
                    )
                self._summaries = out
            return sorted(self._summaries.values(), key=lambda e: (e.date, e.rel))

    @staticmethod
    def _conflict_of(doc: dict[str, object]) -> str | None:
        value = doc.get("conflict_of")
        if isinstance(value, str) and value:
            return value
        found = conflict_original(str(doc.get("rel", "")))
        return found[0] if found else None

    @property
    def index_incomplete(self) -> bool:
        """A rebuild of the index was started and never finished (search sees part of it)."""
        return bool(getattr(self._index, "incomplete", False))

    def entry(self, rel: str) -> Entry:
        """Read one entry from disk (raises EntryReadError with a clear reason)."""
        return self._vault.read(rel)

    def search(
        self,
        query: str,
        limit: int = 10,
        before: dt.date | None = None,
        after: dt.date | None = None,
        tags: Sequence[str] = (),
        *,
        include_private: bool = True,
        today: dt.date | None = None,
        plan: QueryPlan | None = None,
    ) -> list[Hit]:
        """Hybrid search over passages. ``before``/``after`` are inclusive dates."""
        with self._lock:  # it reads the graph
            return self._retriever.search(
                query,
                limit=limit,
                before=before,
                after=after,
                tags=tags,
                include_private=include_private,
                today=today,
                plan=plan,
            )

    def passages(self, rel: str) -> list[Hit]:
        """The indexed passages of one entry, in file order (score 0, no highlights)."""
        return self._retriever.passages_of(rel)

    def bm25(self, query: str, limit: int = 10) -> list[Hit]:
        return self._retriever.bm25(query, limit=limit)

    def related(self, entity: str, limit: int = 10, *, include_private: bool = True) -> list[Related]:
        with self._lock:
            return self._graph.related(entity, limit, include_private)

    def timeline(self, entity: str, *, include_private: bool = True) -> list[TimelinePoint]:
        with self._lock:
            return self._graph.timeline(entity, include_private)

    def entities(self, kind: str | None = None, *, include_private: bool = True) -> list[EntityInfo]:
        with self._lock:
            return self._graph.entities(kind, include_private)

    def entities_in(self, rel: str) -> list[str]:
        with self._lock:
            return self._graph.entities_in(rel)

    def related_entries(
        self, rel: str, limit: int = 8, *, include_private: bool = True
    ) -> list[RelatedEntry]:
        """Entries sharing the most entities with ``rel``; rare shared entities weigh more
        (1 / log2(2 + mentions)) and tags half as much as people, places and topics."""
        with self._lock:
            scores: dict[str, float] = {}
            shared: dict[str, list[tuple[float, str]]] = {}
            points: dict[str, TimelinePoint] = {}
            for name in self._graph.entities_in(rel):
                timeline = self._graph.timeline(name, include_private)
                weight = (0.5 if name.startswith("#") else 1.0) / math.log2(2 + len(timeline))
                for p in timeline:
                    if p.rel == rel:
                        continue
                    scores[p.rel] = scores.get(p.rel, 0.0) + weight
                    shared.setdefault(p.rel, []).append((weight, name))
                    points[p.rel] = p
        best = sorted(scores, key=lambda r: (-scores[r], points[r].date, r))[:limit]
        return [
            RelatedEntry(
                rel=r,
                date=points[r].date,
                title=points[r].title,
                shared=tuple(n for _w, n in sorted(shared[r], key=lambda wn: -wn[0])),
                score=round(scores[r], 4),
            )
            for r in best
        ]

    # -- writing ---------------------------------------------------------------------------
    def read_text(self, rel: str) -> tuple[str, str]:
        """The text of ``rel`` for editing, and the sha256 of its bytes (for ``save_entry``).

        Raises FileNotFoundError when there is no such file (a draft), EntryReadError when it
        cannot be read as text (the reason is user-facing).
        """
        path = self._vault.root / rel
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(f"no such entry: {rel}")
        data, _mtime = self._vault.read_bytes(rel)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EntryReadError(
                f"not UTF-8 text (byte {exc.start}); open it in another editor and re-save it as UTF-8"
            ) from exc
        return text, sha256_bytes(data)

    def _held_back(self, rel: str, text: str) -> tuple[str | None, bool]:
        """Why saving ``text`` over the version of ``rel`` on disk needs the user's yes, and
        whether the entry would go from private to public."""
        try:
            data, mtime = self._vault.read_bytes(rel)
            old_text = data.decode("utf-8-sig")
        except (EntryReadError, UnicodeDecodeError):
            return None, False  # nothing readable to compare with (a new file, a broken one)
        old_text, text = self._guard_view(rel, old_text, text)
        try:
            old = parse_entry(
                rel,
                old_text.encode("utf-8"),
                path=self._vault.root / rel,
                mtime=mtime,
                private_tags=self._vault.private_tags,
            )
            new = parse_entry(
                rel,
                text.encode("utf-8"),
                path=self._vault.root / rel,
                mtime=time.time(),
                private_tags=self._vault.private_tags,
            )
        except EntryReadError:
            return None, False  # an empty text is no entry at all: nothing can leak from it
        reasons: list[str] = []
        public = old.private and not new.private
        if public:
            why = "`private: true` or a private tag is gone"
            if old.privacy_unreadable:
                why = "its privacy could not be read before and now reads as public"
            reasons.append(
                f"this save would make the entry public ({why}): the second me could then quote "
                "it and train on it"
            )
        if old.meta_error is None and new.meta_error is not None:
            error = new.meta_error.split("; read the text")[0]
            reasons.append(
                f"front matter would stop parsing: {error}; its date, tags and privacy would no "
                "longer be read"
            )
        if not reasons:
            return None, False
        return "; and ".join(reasons) + ". Save anyway?", public

    def _guard_view(self, rel: str, old: str, new: str) -> tuple[str, str]:
        """What the save guard needs to parse of both versions. Privacy and front matter
        errors come from the front matter and inline private tags only: when neither text
        holds a private tag, the front matter alone is parsed (a 1 MB yearly file: 1.4 s of
        markup parsing saved twice per save)."""
        markers = [f"#{t.lower()}" for t in self._vault.private_tags if t]
        if rel.lower().endswith(".md") and not any(m in old.lower() or m in new.lower() for m in markers):
            views: list[str] = []
            for text in (old, new):
                unified = text.replace("\r\n", "\n")
                m = FRONT_MATTER_RE.match(unified)
                if m is not None:
                    views.append(m.group(0) + "\nbody\n")
                elif unified.lstrip("\ufeff").startswith("---"):
                    views.append(text)  # unclosed front matter: the parser scans the text
                else:
                    views.append("body\n" if text.strip() else text)
            return views[0], views[1]
        return old, new

    def save_entry(
        self, rel: str, text: str, expected_digest: str | None, *, confirm: bool = False
    ) -> SaveResult:
        """Save an edited entry unless it changed on disk since it was read (then keep both).

        A save that would make the entry public or break its front matter is held back
        (nothing written, ``needs_confirmation`` says why) unless ``confirm``; a confirmed one
        is recorded, so the entry is not fenced as an unconfirmed privacy change.
        """
        # no _write_lock here: the text reaches the disk even while a long reindex runs
        same_version = self._vault.digest_on_disk(rel) == expected_digest
        reason, public = (None, False)
        if same_version and expected_digest is not None:
            reason, public = self._held_back(rel, text)
        if reason is not None and not confirm:
            return SaveResult(
                rel=rel, saved=False, conflict_rel=None, digest=expected_digest, needs_confirmation=reason
            )
        result = self._vault.save(rel, text, expected_digest)
        if public and result.saved:
            self._privacy.confirm(rel)
            try:
                self._privacy.save()
            except OSError as exc:
                log.warning("could not save %s: %s", self._privacy.path, exc)
        touched = [rel] + ([result.conflict_rel] if result.conflict_rel else [])
        self._update_after_write(touched)
        return result

    def _update_after_write(self, rels: Sequence[str], *, lock_wait: float | None = None) -> bool:
        """Index what was just written; an index that cannot follow is a warning, not an
        error (the vault write stands, the next index catches up). Returns success.
        ``lock_wait``: wait at most this long for another process's index lock."""
        self.last_index_error = None
        if self.defer_index:
            return True  # the next refresh indexes it (stat walk: it sees the new file)
        from journal_me.memory.index import INDEX_WRITE_ERRORS

        try:
            with self._write_lock:
                before = self._index.lock_timeout
                if lock_wait is not None:
                    self._index.lock_timeout = min(before, lock_wait)
                try:
                    self.update_paths(rels)
                finally:
                    self._index.lock_timeout = before
        except INDEX_WRITE_ERRORS as exc:
            self.last_index_error = str(exc) or type(exc).__name__
            log.warning("written, but not indexed yet: %s", self.last_index_error)
            return False
        return True

    def write_recovery_copy(self, rel: str, text: str) -> Path:
        """Keep unsaved text in ``<data dir>/recovery/`` (owner-only); returns the file."""
        folder = self.data_dir / "recovery"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        flat = "".join(c if c.isalnum() or c in "-_." else "_" for c in rel.replace("/", "__"))
        stem = flat[:-3] if flat.lower().endswith(".md") else flat
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            path = folder / (f"{stem}.{stamp}.md" if n == 1 else f"{stem}.{stamp}-{n}.md")
            try:
                atomic_write(path, text, exclusive=True)  # mkstemp: born 0600
            except VaultError:
                continue  # that name is taken (two copies in one second)
            return path
        raise VaultError(f"could not write a recovery copy of {rel} in {folder}")

    # -- privacy ---------------------------------------------------------------------------
    def privacy_changes(self) -> list[PrivacyChange]:
        """Entries known as private that now read as public: fenced until confirmed."""
        return PrivacyLedger(self._privacy.path).changes()  # as saved, by any process

    def confirm_privacy(self, rel: str) -> None:
        """The user agrees that ``rel`` is public now: lift the fence and re-index it."""
        with self._write_lock, self._ledger_batch():
            self._privacy.confirm(rel)
            try:
                entry = self._vault.read(rel)
            except EntryReadError:
                return  # gone or unreadable: the next index settles it
            self._apply([entry], [], None)

    def front_matter_regressions(self) -> list[FrontMatterRegression]:
        """Entries whose front matter parsed at an earlier index and no longer does."""
        return PrivacyLedger(self._privacy.path).front_matter_regressions()

    # -- conflicts -------------------------------------------------------------------------
    def conflicts(self) -> list[ConflictInfo]:
        """Conflict copies waiting for a decision, oldest first (known by their names: from
        the graph store's list of entries, no index document read)."""
        out: list[ConflictInfo] = []
        for rel in self._graph.known_entries():
            if ".conflict-" not in rel:
                continue
            found = conflict_original(rel)
            if found is None:
                continue
            out.append(ConflictInfo(rel=rel, original_rel=found[0], created=found[1]))
        return sorted(out, key=lambda c: (c.created or dt.datetime.min, c.rel))

    def counts(self) -> tuple[int, int, int]:
        """(entries, private entries, entities) as indexed: aggregate queries on the graph
        store, whatever the vault's size (what `doctor` prints)."""
        with self._lock:
            entries, private = self._graph.entry_counts()
            return entries, private, self._graph.entity_count()

    def search_scorer(self) -> tuple[bool | None, str]:
        """(whether searches score with the numpy fast path, why not when they don't); None:
        a small index, searched by Whoosh alone by design (no numpy to load)."""
        return self._index.fast_path_status()

    def resolve_conflict(
        self, copy_rel: str, keep: Literal["mine", "theirs"], *, confirm: bool = False
    ) -> SaveResult:
        """Settle a conflict copy. ``mine``: the copy's text replaces the original (through
        ``save_entry``: digest-checked, privacy-guarded), then the copy goes; ``theirs``: the
        copy goes. When the save is held back or meets yet another change, the copy stays."""
        found = conflict_original(copy_rel)
        if found is None:
            raise VaultError(f"{copy_rel} is not a conflict copy (NAME.conflict-YYYYmmdd-HHMMSS.md)")
        original = found[0]
        if keep not in ("mine", "theirs"):
            raise ValueError(f"keep must be 'mine' or 'theirs', not {keep!r}")
        if keep == "mine":
            mine, _digest = self.read_text(copy_rel)
            current = self._vault.digest_on_disk(original)
            result = self.save_entry(original, mine, current, confirm=confirm)
            if result.conflict_rel is not None:
                # the original changed again meanwhile: that new copy replaces this one
                (self._vault.root / copy_rel).unlink(missing_ok=True)
                self._update_after_write([copy_rel])
                return result
            if not (result.saved or result.digest == sha256_bytes(mine.encode("utf-8"))):
                return result  # held back for confirmation: nothing changed
        else:
            current = self._vault.digest_on_disk(original)
            result = SaveResult(rel=original, saved=False, conflict_rel=None, digest=current)
        (self._vault.root / copy_rel).unlink(missing_ok=True)
        self._update_after_write([copy_rel])
        return result

    # -- daily notes -----------------------------------------------------------------------
    def _daily(self) -> DailyNotes | None:
        """The vault's daily-notes layout (read each time: the user may change it)."""
        try:
            return daily_settings(self._vault.root, self.settings)
        except (ValueError, OSError) as exc:  # a bad .obsidian/daily-notes.json
            log.warning("daily-notes settings unusable (%s); using the default layout", exc)
            return None

    def _daily_rel(self, day: dt.date) -> str:
        """Where the daily note for ``day`` goes (daily-notes settings, else the default)."""
        daily = self._daily()
        return daily.rel_for(day) if daily is not None else self._vault.entry_rel_for(day)

    def _names_day(self, rel: str, day: dt.date, daily: DailyNotes | None) -> bool:
        """Whether ``rel`` is named as ``day``'s note (ISO name, or the daily-notes format)."""
        if not rel.lower().endswith(".md"):
            return False  # a .canvas is read, never written: no day's note
        if rel.rsplit("/", 1)[-1][:-3] == day.isoformat():
            return True
        return daily is not None and daily.day_of(rel) == day

    def _known_day_notes(self, day: dt.date, daily: DailyNotes | None) -> list[str]:
        """Entries known as ``day``'s note (named for the day, dated that day, not a page
        about someone, not a conflict copy): from the index, or, when writes are deferred
        and the index is not loaded, from the files the last refresh saw (those on disk
        parsed to check; a missing one by its name)."""
        if self._index_or_none is not None or not self.defer_index:
            return [
                s.rel
                for s in self.entries()
                if s.date == day
                and not s.note
                and s.conflict_of is None
                and self._names_day(s.rel, day, daily)
            ]
        cache = statcache.StatCache.load(self._refresh_file)
        out: list[str] = []
        for rel, seen in cache.files.items() if cache is not None else ():
            if seen.digest is None or not self._names_day(rel, day, daily) or conflict_original(rel):
                continue
            try:
                entry = self._vault.read(rel)
            except EntryReadError:
                out.append(rel)  # gone for a moment, perhaps (a sync client): known by name
                continue
            if entry.date == day and entry.kind != "note" and not _is_conflict(entry):
                out.append(rel)
        return out

    def day_entry(self, day: dt.date) -> str | None:
        """The rel of ``day``'s existing daily note, wherever it is (the daily-notes path
        first, then the default layout, then any indexed entry named for the day)."""
        preferred = [self._daily_rel(day), self._vault.entry_rel_for(day)]
        for rel in dict.fromkeys(preferred):
            if (self._vault.root / rel).is_file():
                return rel
        candidates = self._known_day_notes(day, self._daily())
        for rel in sorted(candidates, key=lambda r: (len(r), r)):
            if (self._vault.root / rel).is_file():
                return rel
        return None

    def create_entry(self, day: dt.date | None = None, text: str = "") -> Entry:
        """The day's note: the existing one (``text`` appended to it) or a new one at the
        daily-notes path. Never a second note for the same day."""
        day = day or dt.date.today()
        if self.day_entry(day) is not None:
            if text.strip():
                return self.append(text, day)
            return self._vault.read(self.day_entry(day) or "")
        return self.new_entry(text, day)

    def new_entry(
        self,
        text: str = "",
        date: dt.date | None = None,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        folder: str | None = None,
        separate: bool = False,
    ) -> Entry:
        """Create the day's note at the daily-notes path and index it.

        If the day has a note already, ``text`` is appended to it instead (``separate``: a
        new ``DAY-2.md`` beside it, as the TUI's "new, separate entry" asks)."""
        day = date or dt.date.today()
        existing = None if separate else self.day_entry(day)
        if existing is not None and folder is None:
            if text.strip():
                return self.append(text, day)
            return self._vault.read(existing)
        rel = self._vault.entry_rel_for(day, folder) if folder is not None else self._daily_rel(day)
        if text.strip() or title or tags:
            content = render_new_entry(text, title=title, tags=tags)
        else:
            # an empty file is not an entry (it is reported as one to fix): a blank entry
            # carries its date, and the editor opens on a readable file
            content = f"---\ndate: {day.isoformat()}\n---\n\n"
        entry = self._vault.create(rel, content)
        self._update_after_write([entry.rel])
        return entry

    def append(self, text: str, date: dt.date | None = None, *, folder: str | None = None) -> Entry:
        """jrnl-style quick add: append a paragraph to that day's note (creating it).

        A note that vanishes for a moment (a sync client deleting and recreating it) is waited
        for rather than split into ``DAY-2.md``; one that keeps changing raises VaultError.
        Once the text is on disk an index failure only sets ``last_index_error``.
        """
        rel = self.append_text(text, date, folder=folder)
        entry = self._vault.read(rel)
        if self.last_index_error:
            # for callers that look on the entry (cmd_add): the same as ``last_index_error``
            object.__setattr__(entry, "index_warning", self.last_index_error)
        return entry

    def append_text(self, text: str, date: dt.date | None = None, *, folder: str | None = None) -> str:
        """:meth:`append`, returning the rel of the note written to without parsing it (a
        quick add that does not index at once never loads the markdown parser)."""
        day = date or dt.date.today()
        rel = self._find_day_note(day, folder)
        if rel is None:
            target = self._vault.entry_rel_for(day, folder) if folder is not None else self._daily_rel(day)
            content = render_new_entry(text)
            path = self._vault.root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                # exclusive, at the day's path: never a suffixed second note
                atomic_write(path, content, exclusive=True, mode=self._vault.new_file_mode(target))
            except VaultError:
                rel = target  # it appeared meanwhile: append to it below
            else:
                return self._after_append(target)
        for _attempt in range(5):
            try:
                current_text, digest = self.read_text(rel)
            except FileNotFoundError:
                if not self._reappears(rel):
                    raise VaultError(
                        f"{rel} vanished while appending and did not come back; "
                        "nothing was appended, try again"
                    ) from None
                continue
            new_text = current_text.rstrip("\n") + "\n\n" + text.strip() + "\n"
            result = self._vault.save(rel, new_text, digest)
            if result.saved:
                # a conflict_rel here holds someone else's write displaced at that instant
                return self._after_append(rel, result.conflict_rel)
            if result.conflict_rel:
                # someone saved in between: undo our conflict copy and retry on the new text
                (self._vault.root / result.conflict_rel).unlink(missing_ok=True)
            time.sleep(0.05)
        raise VaultError(f"{rel} kept changing on disk; nothing was appended, try again")

    def _find_day_note(self, day: dt.date, folder: str | None) -> str | None:
        if folder is not None:
            rel = self._vault.entry_rel_for(day, folder)
            return rel if (self._vault.root / rel).exists() else None
        found = self.day_entry(day)
        if found is not None:
            return found
        # indexed for the day but briefly absent on disk (deleted and recreated by a sync
        # client): wait for it rather than create a second note beside it
        layout = self._daily()
        daily = layout.rel_for(day) if layout is not None else self._vault.entry_rel_for(day)
        known = sorted(self._known_day_notes(day, layout), key=lambda r: (r != daily, len(r), r))
        if known and self._reappears(known[0]):
            return known[0]
        return None

    def _reappears(self, rel: str, wait: float | None = None) -> bool:
        """Whether ``rel`` exists, or comes back within ``wait`` seconds."""
        path = self._vault.root / rel
        deadline = time.monotonic() + (APPEND_REAPPEAR_S if wait is None else wait)
        while True:
            if path.exists():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _after_append(self, rel: str, displaced: str | None = None) -> str:
        touched = [rel] + ([displaced] if displaced else [])
        self._update_after_write(touched, lock_wait=APPEND_INDEX_WAIT_S)
        return rel

    def term_idf(self, terms: Iterable[str]) -> dict[str, float]:
        """IDF of each (analysed) word over the indexed passages; 1.0 each when the index
        cannot say (no term statistics)."""
        terms = list(terms)
        try:
            searcher = self._index.searcher()
            n = int(searcher.doc_count())
            return {t: math.log(1 + n / (1 + int(searcher.doc_frequency("body", t)))) for t in terms}
        except Exception:  # an index without term statistics: every word counts the same
            return dict.fromkeys(terms, 1.0)

    def page_subject(self, rel: str) -> str | None:
        """The person or place a page is about (``people/Sam.md`` → "Sam"), else None."""
        mentions = self._graph.by_entry.get(rel)
        return mentions.note_name if mentions is not None else None

    # -- the vault's files, for callers that are not the memory (TUI, importers, watch) ----
    @property
    def root(self) -> Path:
        """The vault folder."""
        return self._vault.root

    def path_of(self, rel: str) -> Path:
        """Where a vault-relative path lives on disk (for ``$EDITOR``); never outside the vault."""
        path = self._vault.root / rel
        if not path.resolve().is_relative_to(self._vault.root.resolve()):
            raise VaultError(f"{rel} is outside the vault")
        return path

    def has_file(self, rel: str) -> bool:
        """Whether ``rel`` exists in the vault as a file."""
        return self._vault.root.joinpath(rel).is_file()

    def wants(self, rel: str) -> bool:
        """Whether a vault-relative path is a journal file (markdown or canvas, not ignored)."""
        return self._vault.wants(rel)

    def entry_rel_for(self, day: dt.date, folder: str | None = None) -> str:
        """Where a new entry for ``day`` goes by default (``YYYY-MM-DD.md`` in the entries folder)."""
        return self._vault.entry_rel_for(day, folder)

    def free_rel(self, rel: str) -> str:
        """``rel`` if unused, else ``name-2.md``, ``name-3.md``…"""
        return self._vault.free_rel(rel)

    def read_bytes(self, rel: str) -> tuple[bytes, float]:
        """The file's bytes and mtime, as on disk now (EntryReadError if unreadable)."""
        return self._vault.read_bytes(rel)

    def read_entries(self) -> Iterator[Entry]:
        """Every readable entry file of the vault, parsed from disk now (unreadable files are
        skipped here; ``doctor`` reports them)."""
        for rel, _path in self._vault.scan():
            try:
                yield self._vault.read(rel)
            except EntryReadError:
                continue

    def write_new(self, rel: str, text: str, *, index: bool = False) -> Entry:
        """Write a new file at ``rel`` (or ``name-2.md``… when taken; never over a file).
        ``index``: make it searchable now; else the next refresh does (a bulk import)."""
        entry = self._vault.create(rel, text)
        if index:
            self._update_after_write([entry.rel])
        return entry

    def close(self) -> None:
        if self._index_or_none is not None:
            self._index_or_none.close()
        if self._graph_or_none is not None:
            self._graph_or_none.close()


def open_vault(
    path: str | Path | None = None,
    settings: Settings | None = None,
    *,
    on_wait: Callable[[str], None] | None = None,
    defer_index: bool = False,
    one_shot: bool = False,
) -> Journal:
    """Open a vault with its memory. Call ``reindex()`` to bring the memory up to date.
    ``defer_index``: writes are not indexed at once but by the next ``reindex()``.
    ``one_shot``: a process that asks a few questions and exits (a CLI command): search
    with Whoosh alone up to a larger index, as loading the numpy scorer costs it more."""
    if settings is None:
        settings = load_settings(vault=path)
    elif path is not None:
        from dataclasses import replace

        settings = replace(settings, vault=Path(path))
    return Journal(settings, on_wait=on_wait, defer_index=defer_index, one_shot=one_shot)
