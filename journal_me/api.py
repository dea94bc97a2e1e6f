"""The one door to the journal for the TUI, chat, bridge and trainer.

>>> journal = open_vault("vault")          # doctest: +SKIP
>>> journal.reindex()                     # doctest: +SKIP
>>> journal.search("when did I start running?")[0].entry.date  # doctest: +SKIP

``Journal`` is safe to share between threads: writes to the index and graph are serialised
by one lock; searches may run while the watch loop indexes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from journal_me.config import Settings, load_settings
from journal_me.memory.graph import EntityGraph, EntityInfo, Related, TimelinePoint, entry_mentions
from journal_me.memory.index import IndexedEntry, PassageIndex
from journal_me.memory.retrieval import EntryRef, Hit, QueryPlan, Retriever
from journal_me.vault import (
    Entry,
    EntryReadError,
    FileWarning,
    SaveResult,
    Vault,
    VaultNotFoundError,
    atomic_write,
    parse_entry,
    render_new_entry,
    sha256_bytes,
)

__all__ = [
    "EntityInfo",
    "Entry",
    "EntryRef",
    "EntrySummary",
    "FileWarning",
    "Hit",
    "IndexReport",
    "Journal",
    "QueryPlan",
    "Related",
    "RelatedEntry",
    "SaveResult",
    "TimelinePoint",
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

    def __init__(self, settings: Settings, *, on_wait: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.vault = Vault(settings.vault, ignore=settings.ignore, private_tags=settings.private_tags)
        if not self.vault.root.is_dir():
            raise VaultNotFoundError(
                f"vault folder not found: {self.vault.root} (choose one with --vault, "
                "$JOURNAL_ME_VAULT or `vault = ...` in the config file)"
            )
        self.data_dir = settings.vault_data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Two locks: one writer at a time (reindex, update_paths: minutes for a first index), and
        # the graph and caches as readers see them, which a writer holds only while it changes
        # them. So the TUI's people screen and side panel, and search, do not wait for an index
        # write. Order: _write_lock, then _lock.
        self._write_lock = threading.RLock()
        self._lock = threading.RLock()
        self.index = PassageIndex(settings.index_dir, on_wait=on_wait)
        self.graph = self._load_graph()
        self.retriever = Retriever(self.index, self.graph, self.vault.root)
        self._warnings: dict[str, FileWarning] = self._load_warnings()
        self._summaries: dict[str, EntrySummary] | None = None

    # -- state files -----------------------------------------------------------------------
    @property
    def _warnings_file(self) -> Path:
        return self.data_dir / "warnings.json"

    def _load_warnings(self) -> dict[str, FileWarning]:
        try:
            raw = json.loads(self._warnings_file.read_text(encoding="utf-8"))
            return {w["rel"]: FileWarning(w["rel"], w["reason"]) for w in raw}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def _save_warnings(self) -> None:
        data = [{"rel": w.rel, "reason": w.reason} for w in self._warnings.values()]
        atomic_write(self._warnings_file, json.dumps(data, indent=1))

    def _load_graph(self) -> EntityGraph:
        path = self.settings.graph_file
        if path.is_file():
            try:
                return EntityGraph.load(path)
            except (OSError, ValueError, KeyError, TypeError):
                pass  # derived state: rebuilt by the next reindex
        return EntityGraph()

    @property
    def warnings(self) -> list[FileWarning]:
        """Files that could not be read (or read only partly) at the last (re)index."""
        return sorted(self._warnings.values(), key=lambda w: w.rel)

    # -- indexing --------------------------------------------------------------------------
    def reindex(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Bring index and graph up to date with the vault (incremental by content hash)."""
        start = time.perf_counter()
        report = IndexReport(recovered=self.index.recovered)
        with self._write_lock:
            if rebuild:
                with self._lock:
                    self.index.clear()
                    self.graph.by_entry.clear()
                    self.graph.rebuild()
            scan_warnings: list[FileWarning] = []
            on_disk = list(self.vault.scan(scan_warnings))
            manifest = self.index.manifest()
            known = set(self.graph.known_entries())
            # graph and index can disagree (a crash or a failed index write between the
            # two saves, a deleted graph file): forget what the index lacks, re-read what
            # the graph lacks. Never clear the index here: another process may be using it.
            with self._lock:
                for rel in known - set(manifest):
                    self.graph.remove(rel)
            stale = set(manifest) - known
            previous = dict(self._warnings)
            warnings = {w.rel: w for w in scan_warnings}
            changed: list[Entry] = []
            unreadable: list[str] = []
            total = len(on_disk)
            for i, (rel, _path) in enumerate(on_disk):
                if progress and i % 200 == 0:
                    progress(i, total, "reading")
                try:
                    data, mtime = self.vault.read_bytes(rel)
                    if rel not in stale and manifest.get(rel) == sha256_bytes(data):
                        report.unchanged += 1
                        if rel in previous:  # e.g. bad YAML: still true, file unchanged
                            warnings[rel] = previous[rel]
                        continue
                    entry = parse_entry(
                        rel,
                        data,
                        path=self.vault.root / rel,
                        mtime=mtime,
                        private_tags=self.vault.private_tags,
                    )
                except EntryReadError as exc:
                    warnings[rel] = FileWarning(rel, str(exc))
                    unreadable.append(rel)
                    continue
                if entry.meta_error:
                    warnings[rel] = FileWarning(rel, entry.meta_error)
                changed.append(entry)
                if rel in manifest:
                    report.updated += 1
                else:
                    report.added += 1
            seen = {rel for rel, _ in on_disk}
            gone = [rel for rel in manifest if rel not in seen or rel in unreadable]
            report.removed = len(gone)
            self._warnings = warnings  # one swap: readers never see a half-built table
            self._apply(changed, gone, progress)
            report.warnings = self.warnings
            self._save_warnings()
        report.seconds = time.perf_counter() - start
        self.index.recovered = None
        return report

    def update_paths(self, rels: Iterable[str]) -> IndexReport:
        """Reconcile the given vault paths with disk (the watch loop calls this)."""
        start = time.perf_counter()
        report = IndexReport()
        with self._write_lock:
            wanted = list(dict.fromkeys(rels))
            # only these paths' digests: reading the whole manifest took ~150 ms at 10k entries
            manifest = self.index.digests(wanted)
            warnings = dict(self._warnings)
            changed: list[Entry] = []
            gone: list[str] = []
            for rel in wanted:
                if not self.vault.wants(rel):
                    continue
                path = self.vault.root / rel
                if not path.exists():
                    if rel in manifest:
                        gone.append(rel)
                        report.removed += 1
                    warnings.pop(rel, None)
                    continue
                try:
                    entry = self.vault.read(rel)
                except EntryReadError as exc:
                    warnings[rel] = FileWarning(rel, str(exc))
                    if rel in manifest:
                        gone.append(rel)
                        report.removed += 1
                    continue
                warnings.pop(rel, None)
                if entry.meta_error:
                    warnings[rel] = FileWarning(rel, entry.meta_error)
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
        report.seconds = time.perf_counter() - start
        return report

    def _apply(self, changed: Sequence[Entry], gone: Sequence[str], progress: Progress | None) -> None:
        """Graph, then index, then the graph file. Called under ``_write_lock``: only writers
        change the graph, so reading it here needs no ``_lock``."""
        if not changed and not gone:
            return
        with self._lock:
            sig_before = self.graph._alias_sig
            aliases_before = self.graph.aliases
            self._update_graph(changed, gone)
        items = [self._indexed(e) for e in changed]
        if self.graph._alias_sig != sig_before:
            # canonical names changed: re-index the entries whose entity fields change with
            # them (a new person page "Sam" with `aliases: [Sammy]` touches the entries naming
            # Sam or Sammy, not the whole vault)
            changed_rels = {e.rel for e in changed}
            for rel in list(self.graph.known_entries()):
                if rel in changed_rels:
                    continue
                if self.graph.entity_names(rel, aliases_before) == self.graph.entity_names(rel):
                    continue
                try:
                    items.append(self._indexed(self.vault.read(rel)))
                except EntryReadError:
                    continue
        if progress:
            progress(0, len(items), "indexing")
        # one write (one commit) for the whole batch; see PassageIndex.write
        if progress:
            total = len(items)
            self.index.write(items, gone, on_added=lambda n: progress(n, total, "indexing"))
            progress(total, total, "indexing")
        else:
            self.index.write(items, gone)
        self.graph.save(self.settings.graph_file)
        with self._lock:
            self._summaries = None

    def _update_graph(self, changed: Sequence[Entry], gone: Sequence[str]) -> None:
        """Apply a batch to the graph, checking the alias table once for the whole batch.

        ``EntityGraph.update`` compares the alias table (a walk over every entry) after each
        entry and rebuilds the graph whenever it changed: quadratic over a reindex (about a
        quarter of a 10k-entry index, see docs/benchmarks.md). Equivalent here: swap the
        batch's mentions in, then one rebuild if the aliases changed, else apply the
        differences.
        TODO: move into graph.py as ``EntityGraph.update_many``.
        """
        g = self.graph
        if len(changed) + len(gone) <= 1:
            for rel in gone:
                g.remove(rel)
            for e in changed:
                g.update(e)
            return
        new = [entry_mentions(e) for e in changed]
        old = {rel: g.by_entry[rel] for rel in [*gone, *(em.rel for em in new)] if rel in g.by_entry}
        for rel in gone:
            g.by_entry.pop(rel, None)
        for em in new:
            g.by_entry[em.rel] = em
        if g._alias_pairs() != g._alias_sig:
            g.rebuild()
            return
        for em in old.values():
            g._apply(em, -1)
        for em in new:
            g._apply(em, +1)

    def _indexed(self, entry: Entry) -> IndexedEntry:
        names = self.graph.entity_names(entry.rel)  # surface (lower) -> canonical
        entities = list(dict.fromkeys(names.values()))
        per_passage: list[list[str]] = []
        for p in entry.passages:
            text = " " + p.text.lower() + " "
            found = [c for s, c in names.items() if s and (f"{s}" in text)]
            per_passage.append(list(dict.fromkeys(found)))
        return IndexedEntry(entry=entry, entities=entities, passage_entities=per_passage)

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[EntrySummary]:
        """Every indexed entry, oldest first (from the index: no file is read)."""
        with self._lock:
            if self._summaries is None:
                s = self.index.searcher()
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
                    )
                self._summaries = out
            return sorted(self._summaries.values(), key=lambda e: (e.date, e.rel))

    def entry(self, rel: str) -> Entry:
        """Read one entry from disk (raises EntryReadError with a clear reason)."""
        return self.vault.read(rel)

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
            return self.retriever.search(
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
        return self.retriever.passages_of(rel)

    def bm25(self, query: str, limit: int = 10) -> list[Hit]:
        return self.retriever.bm25(query, limit=limit)

    def related(self, entity: str, limit: int = 10, *, include_private: bool = True) -> list[Related]:
        with self._lock:
            return self.graph.related(entity, limit, include_private)

    def timeline(self, entity: str, *, include_private: bool = True) -> list[TimelinePoint]:
        with self._lock:
            return self.graph.timeline(entity, include_private)

    def entities(self, kind: str | None = None, *, include_private: bool = True) -> list[EntityInfo]:
        with self._lock:
            return self.graph.entities(kind, include_private)

    def entities_in(self, rel: str) -> list[str]:
        with self._lock:
            return self.graph.entities_in(rel)

    def related_entries(
        self, rel: str, limit: int = 8, *, include_private: bool = True
    ) -> list[RelatedEntry]:
        """Entries sharing the most entities with ``rel``; rare shared entities weigh more
        (1 / log2(2 + mentions)) and tags half as much as people, places and topics."""
        with self._lock:
            scores: dict[str, float] = {}
            shared: dict[str, list[tuple[float, str]]] = {}
            points: dict[str, TimelinePoint] = {}
            for name in self.graph.entities_in(rel):
                timeline = self.graph.timeline(name, include_private)
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
    def new_entry(
        self,
        text: str = "",
        date: dt.date | None = None,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        folder: str | None = None,
    ) -> Entry:
        """Create a new ``YYYY-MM-DD.md`` (a suffix if that day has one) and index it."""
        day = date or dt.date.today()
        rel = self.vault.entry_rel_for(day, folder)
        if text.strip() or title or tags:
            content = render_new_entry(text, title=title, tags=tags)
        else:
            # an empty file is not an entry (it is reported as one to fix): a blank entry
            # carries its date, and the editor opens on a readable file
            content = f"---\ndate: {day.isoformat()}\n---\n\n"
        entry = self.vault.create(rel, content)
        self.update_paths([entry.rel])
        return entry

    def save_entry(self, rel: str, text: str, expected_digest: str | None) -> SaveResult:
        """Save an edited entry unless it changed on disk since it was read (then keep both)."""
        result = self.vault.save(rel, text, expected_digest)
        touched = [rel] + ([result.conflict_rel] if result.conflict_rel else [])
        self.update_paths(touched)
        return result

    def append(self, text: str, date: dt.date | None = None, *, folder: str | None = None) -> Entry:
        """jrnl-style quick add: append a paragraph to that day's entry (creating it)."""
        day = date or dt.date.today()
        rel = self.vault.entry_rel_for(day, folder)
        path = self.vault.root / rel
        if not path.exists():
            return self.new_entry(text, day, folder=folder)
        for _attempt in range(3):
            current = self.vault.read(rel)
            raw = current.path.read_bytes().decode("utf-8")
            new_text = raw.rstrip("\n") + "\n\n" + text.strip() + "\n"
            result = self.save_entry(rel, new_text, current.digest)
            if result.saved:
                return self.vault.read(rel)
            if result.conflict_rel:
                # someone saved in between: undo our conflict copy and retry on the new text
                (self.vault.root / result.conflict_rel).unlink(missing_ok=True)
                self.update_paths([result.conflict_rel])
        raise RuntimeError(f"{rel} keeps changing on disk; not appended")

    def close(self) -> None:
        self.index.close()


def open_vault(
    path: str | Path | None = None,
    settings: Settings | None = None,
    *,
    on_wait: Callable[[str], None] | None = None,
) -> Journal:
    """Open a vault with its memory. Call ``reindex()`` to bring the memory up to date."""
    if settings is None:
        settings = load_settings(vault=path)
    elif path is not None:
        from dataclasses import replace

        settings = replace(settings, vault=Path(path))
    return Journal(settings, on_wait=on_wait)
