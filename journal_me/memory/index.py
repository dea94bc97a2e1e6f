"""L1 full-text index (Whoosh), hidden behind this module.

One index per vault, in the data dir, holding two kinds of documents:

- ``entry``: one per file (title, tags, entities, digest, no body) — the manifest for
  incremental updates by content hash and the list of entries;
- ``passage``: paragraph-sized chunks with their line span, plain text, date, tags and the
  entities named in them — what search returns.

Only one writer may hold the index at a time (Whoosh's file lock); we wait for it with a
message and give up with :class:`IndexLockedError`. An index that cannot be opened is moved
aside and rebuilt: it is derived state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as windex
from whoosh.analysis import LanguageAnalyzer
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.idsets import BitSet
from whoosh.index import LockError
from whoosh.query import Query
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from journal_me.memory.vectorsearch import SegmentArrays, Unsupported, VectorSearcher
from journal_me.vault import Entry

SCHEMA_VERSION = "9"  # bump when the schema or passage splitting changes
INDEX_NAME = "journal"


class IndexError_(Exception):
    """The index cannot be used; the message says what to do."""


class IndexLockedError(IndexError_):
    pass


def make_analyzer() -> Any:
    # LanguageAnalyzer stems "running" to "run" (StemmingAnalyzer gives "runn") and drops
    # English stop words, so questions full of "what did I…" still match.
    return LanguageAnalyzer("en")


def make_schema() -> Schema:
    analyzer = make_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        rel=ID(stored=True),
        kind=ID(stored=True),
        date=DATETIME(stored=True, sortable=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=1.5, phrase=False),
        body=TEXT(analyzer=analyzer, stored=True, phrase=False),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        entities=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        # stored only: never queried, and a NUMERIC field indexes 8 terms per value (15% of all
        # postings at 10k entries, for nothing)
        line_start=STORED(),
        line_end=STORED(),
        private=BOOLEAN(stored=True),
        digest=STORED(),
        isnote=BOOLEAN(stored=True),
    )


@dataclass(frozen=True)
class IndexedEntry:
    """What the indexer needs about one entry: the entry and its entities."""

    entry: Entry
    entities: Sequence[str]  # canonical names of entities in the entry
    passage_entities: Sequence[Sequence[str]]  # per passage


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _keywords(values: Iterable[str]) -> str:
    return ",".join(v.replace(",", " ").lower() for v in values if v)


class PassageIndex:
    def __init__(
        self,
        directory: Path,
        *,
        lock_timeout: float = 30.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait
        self.schema = make_schema()
        self.recovered: str | None = None  # why the index was rebuilt on open, if it was
        self._ix: Any = None
        self._searcher: Searcher | None = None
        self._vector: VectorSearcher | None = None  # numpy evaluation over _searcher
        self._segments = SegmentArrays()  # per-segment arrays, shared by successive searchers
        self._lock = threading.RLock()  # the writer: held for a whole batch (a first index)
        # The shared searcher and its caches. Searches read posting files through it (seek +
        # read), so one at a time; a search during a long write sees the last commit instead
        # of waiting for the write. Order: _lock, then _read_lock.
        self._read_lock = threading.RLock()
        self._open()

    # -- opening / recovery ----------------------------------------------------------------
    def _version_file(self) -> Path:
        return self.directory / "SCHEMA_VERSION"

    def _create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._ix = windex.create_in(str(self.directory), self.schema, indexname=INDEX_NAME)
        self._version_file().write_text(SCHEMA_VERSION)

    def _open(self) -> None:
        try:
            exists = self.directory.exists() and windex.exists_in(str(self.directory), indexname=INDEX_NAME)
        except Exception as exc:  # a garbled TOC fails already here ("different architecture")
            self._reset(f"index was unreadable ({type(exc).__name__}: {exc})")
            return
        if not exists:
            self._create()
            return
        try:
            version = self._version_file().read_text().strip()
        except OSError:
            version = ""
        if version != SCHEMA_VERSION:
            self._reset("index format changed")
            return
        try:
            self._ix = windex.open_dir(str(self.directory), indexname=INDEX_NAME)
            with self._ix.searcher() as s:
                s.doc_count()
        except Exception as exc:  # whoosh raises many kinds on damaged files
            self._reset(f"index was unreadable ({type(exc).__name__}: {exc})")

    def _reset(self, why: str) -> None:
        self.recovered = why + "; rebuilt it"
        with self._read_lock:
            if self._searcher is not None:
                with contextlib.suppress(Exception):
                    self._searcher.close()
                self._searcher = None
            if self.directory.exists():
                shutil.rmtree(self.directory, ignore_errors=True)
            self._create()

    def clear(self) -> None:
        with self._lock:
            self._reset("rebuild requested")
            self.recovered = None

    # -- writing ---------------------------------------------------------------------------
    def _writer(self) -> IndexWriter:
        deadline = time.monotonic() + self.lock_timeout
        told = False
        while True:
            try:
                return self._ix.writer(limitmb=128)
            except LockError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"the index at {self.directory} is locked by another journal-me "
                        "process (an open TUI or `journal-me watch`?); close it or try again"
                    ) from None
                if not told and self.on_wait is not None:
                    self.on_wait("index is busy in another journal-me process, waiting…")
                    told = True
                time.sleep(0.1)

    def write(
        self,
        add: Iterable[IndexedEntry],
        delete: Iterable[str] = (),
        on_added: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the documents of the given entries, delete others. Returns docs added.

        One writer and one commit for the whole batch: committing every few hundred entries
        made whoosh merge the growing segments again and again (~13% of a 10k-entry index).
        ``on_added(n)`` is called every 250 entries, for progress bars.
        """
        count = 0
        with self._lock:
            writer = self._writer()
            try:
                for rel in delete:
                    writer.delete_by_term("rel", rel)
                for n, item in enumerate(add, 1):
                    writer.delete_by_term("rel", item.entry.rel)
                    count += self._add(writer, item)
                    if on_added is not None and n % 250 == 0:
                        on_added(n)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
        return count

    def _add(self, writer: IndexWriter, item: IndexedEntry) -> int:
        e = item.entry
        date = _as_datetime(e.date)
        tags = _keywords(e.tags)
        # The entry document is the manifest (digest) and the entry list (title, date, tags):
        # its text is searched through its passages only, so it has no body.
        writer.add_document(
            id=e.rel,
            rel=e.rel,
            kind="entry",
            date=date,
            title=e.title,
            tags=tags,
            entities=_keywords(item.entities),
            line_start=1,
            line_end=e.body_line_offset + e.body.count("\n") + 1,
            private=e.private,
            digest=e.digest,
            isnote=item.entry.kind == "note",
        )
        for p, ents in zip(e.passages, item.passage_entities, strict=False):
            writer.add_document(
                id=f"{e.rel}#{p.index}",
                rel=e.rel,
                kind="passage",
                date=date,
                title=e.title,
                body=p.text,
                tags=tags,
                entities=_keywords(ents),
                line_start=p.line_start,
                line_end=p.line_end,
                private=e.private,
                digest=e.digest,
                isnote=item.entry.kind == "note",
            )
        return 1 + len(e.passages)

    # -- reading ---------------------------------------------------------------------------
    def searcher(self) -> Searcher:
        """A shared searcher, refreshed to the latest commit."""
        with self._read_lock:
            if self._searcher is not None and not self._searcher.up_to_date():
                # Searcher.refresh() trips over whoosh-reloaded's reader reuse; reopen instead
                old, self._searcher = self._searcher, None
                with contextlib.suppress(Exception):
                    old.close()
            if self._searcher is None:
                self._searcher = self._ix.searcher()
            return self._searcher

    def manifest(self) -> dict[str, str]:
        """rel -> digest of every indexed entry."""
        with self._read_lock:
            s = self.searcher()
            return {d["rel"]: d["digest"] for d in s.documents(kind="entry")}

    def digests(self, rels: Iterable[str]) -> dict[str, str]:
        """rel -> digest for the given entries that are indexed (no full manifest scan)."""
        out: dict[str, str] = {}
        with self._read_lock:
            s = self.searcher()
            for rel in rels:
                doc = s.document(id=rel)
                if doc is not None and doc.get("kind") == "entry":
                    out[rel] = doc["digest"]
        return out

    def search(self, query: Query, *, limit: int, filter: Query | None = None) -> list[dict[str, Any]]:
        """Stored fields (+ ``score``) of the best ``limit`` documents, best first.

        Scored with numpy over the postings (:mod:`journal_me.memory.vectorsearch`) when the
        query is a flat ``Or`` of terms, as the retriever's are; by Whoosh otherwise. Both give
        the same hits and scores.
        """
        with self._read_lock:
            s = self.searcher()
            if self._vector is None or self._vector.searcher is not s:
                self._vector = VectorSearcher(s, self._segments)
            mask = self._vector.docs(filter) if filter is not None else None
            if mask is not None and not mask.any():
                return []  # (Whoosh would read an empty allow-set as "no filter")
            try:
                top = self._vector.top(query, limit, mask)
            except Unsupported:
                allow = None if mask is None else BitSet(np.flatnonzero(mask).tolist(), size=len(mask))
                top = [(hit.docnum, float(hit.score)) for hit in s.search(query, limit=limit, filter=allow)]
            out = []
            for docnum, score in top:
                fields = dict(s.stored_fields(docnum))
                fields["score"] = score
                out.append(fields)
            return out

    def passages_of(self, rel: str) -> list[dict[str, Any]]:
        with self._read_lock:
            return [d for d in self.searcher().documents(rel=rel) if d["kind"] == "passage"]

    def doc_count(self) -> int:
        with self._read_lock:
            return int(self.searcher().doc_count())

    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
