"""L1 full-text index (Whoosh), hidden behind this module.

One index per vault, in the data dir, holding two kinds of documents:

- ``entry``: one per file (title, tags, entities, digest, no body) — the manifest for
  incremental updates by content hash and the list of entries;
- ``passage``: paragraph-sized chunks with their line span, plain text, date, tags and the
  entities named in them — what search returns.

Only one writer may hold the index at a time (Whoosh's file lock); we wait for it with a
message and give up with :class:`IndexLockedError`. An index whose files are damaged (an
unreadable table of contents, a missing or garbled segment file) is deleted and rebuilt: it is
derived state. Any other failure to open it (no permission, too many open files, a full disk)
leaves it as it is and raises :class:`IndexUnavailableError` saying what happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# first: Whoosh without the imports a search never uses (see whoosh_import)
from journal_me.memory import whoosh_import  # noqa: F401

# isort: split
from whoosh import index as windex
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.idsets import BitSet
from whoosh.index import LockError
from whoosh.query import Query
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map
from whoosh.writing import IndexWriter

from journal_me.memory import query as qf
from journal_me.memory.compact_codec import CompactCodec
from journal_me.memory.filter_cache import FilterCache, bits_of, split_fence
from journal_me.memory.passage_text import follows_from_file
from journal_me.memory.query import Clause
from journal_me.vault import Entry

if TYPE_CHECKING:  # the numpy scorer loads only for an index large enough to need it
    from journal_me.memory.vectorsearch import FastPath

# bump when the schema, the analyzer or passage splitting changes (10: accent folding, the
# undated/conflict_of fields, ``private`` holds the fence; 11: one date term per document;
# 12: underscores inside words are kept, not read as emphasis; 13: the compact term dictionary
# (memory/compact_codec.py), passages store only their own fields; 14: passage entities without
# heading-link texts as aliases, @handles end before a CJK/Hangul particle; 15: a passage's text
# is stored only when it does not follow from its file lines, Frequency postings inlined packed;
# 16: a link's display text names its target only when the vault gives no reason against it;
# 17: capitalised names in any cased script, not across line breaks, table cells and German nouns;
# 18: a display text that says more than its target's name is no alias, nor a passage's entity;
# 19: stored-field blocks of 8 documents with a preset dictionary, packed postings ids and weights)
SCHEMA_VERSION = "19"
INDEX_NAME = "journal"
REBUILD_MARKER = "REBUILDING"  # present from a rebuild's start until its first commit
OPEN_ATTEMPTS = 3
OPEN_RETRY_DELAY = 0.2
# A batch this large (a first index, a rebuild) is written by Whoosh's multiprocessing writer,
# one sub-writer per core, each writing its own segment: the analysis and posting writes that
# are most of an index's time run on all cores. Below it, starting the processes costs more
# than it saves. The pool is used only in a process with no other threads (the CLI), where
# forking is safe.
PARALLEL_MIN_ENTRIES = 300
MAX_WRITER_PROCS = 4
# The numpy scorer (memory/vectorsearch.py) answers searches from this many documents
# (entries + passages) on. Below it Whoosh's own searcher is quick enough (warm, at 12k
# documents: 62 vs 30 ms a question on a loaded 2-core box), and nothing loads numpy.
FAST_PATH_MIN_DOCS = 4000
# The same for a one-shot command (`journal-me search`, `doctor`…; the CLI sets it): loading
# numpy, the segment arrays and the self-check cost more than numpy saves on one command's
# queries up to this size (one CLI search, CPU: 12k documents 0.78 s numpy vs 0.68 s Whoosh
# alone; 40k documents, the 10k-entry synthetic vault, 0.75 vs 0.66; bench/bench_cli.py).
ONE_SHOT_FAST_PATH_MIN_DOCS = 60_000
# The writers' posting buffer (all writers together; ~24 bytes a posting, fast_writer.py). Past
# it a sub-writer starts a new segment, and a lone writer hands its postings to Whoosh's pool
# (runs spilled to disk, merged in pure Python). At 128 MB, 10k real-style notes (57 MB of
# text, 6M postings) went down that pool path: 111 s and 624 MB for their first index.
WRITER_LIMIT_MB = 256
# entry documents kept for a warm searcher's passage hits (a few hundred bytes each): looking an
# entry up by id and decoding its stored fields was a third of a warm search at 10k entries
ENTRY_CACHE_SIZE = 8192


class IndexUnavailableError(Exception):
    """The index cannot be used now (locked by another process, unreadable, out of file
    handles…) and was left as it is; the message says what happened and what to do."""


class IndexLockedError(IndexUnavailableError):
    pass


# What damaged index files raise when Whoosh reads them: its own index errors (an empty or
# foreign table of contents), a missing segment file, and what reading garbage raises (short
# reads, bad pickles, bad compressed blocks, impossible values). Anything else (an OSError
# such as EACCES, EMFILE, ENOSPC, EIO; MemoryError) is the machine, not the index.
_DAMAGE: tuple[type[BaseException], ...] = (
    windex.IndexError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    EOFError,
    struct.error,
    pickle.UnpicklingError,
    zlib.error,
    ValueError,  # and UnicodeDecodeError
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
)

_ERRNO_HINTS = {
    errno.EACCES: "check the folder's owner and permissions",
    errno.EPERM: "check the folder's owner and permissions",
    errno.EMFILE: "too many open files: close other programs or raise the limit (ulimit -n)",
    errno.ENFILE: "the system has too many open files: close other programs",
    errno.ENOSPC: "the disk is full: free some space",
    errno.EROFS: "the disk is read-only",
    errno.EIO: "the disk reported a read error: check it",
}


def _is_damage(exc: BaseException) -> bool:
    """Whether ``exc``, raised while opening the index, means its files are damaged (rebuild
    it) rather than that the machine could not read them now (keep it, report)."""
    return isinstance(exc, _DAMAGE) and not isinstance(exc, PermissionError)


def _open_failure(directory: Path, exc: BaseException) -> str:
    hint = _ERRNO_HINTS.get(getattr(exc, "errno", None) or -1, "try again")
    return (
        f"cannot open the index at {directory} ({type(exc).__name__}: {exc}); it was left as it is — {hint}"
    )


def _fold_map() -> dict[int, str]:
    """Whoosh's accent map plus the letters it leaves alone that users type without their
    marks (Vietnamese đ, German ß, Nordic ø/æ, Polish ł…)."""
    table = dict(accent_map)
    for src, dst in {
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "ẞ": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }.items():
        table[ord(src)] = dst
    return table


_FOLD = _fold_map()


# What a caller of this module catches or matches, so that it need not import Whoosh: an
# index that cannot take a write now (ours, or Whoosh's own lock error where it escapes)
INDEX_WRITE_ERRORS: tuple[type[Exception], ...] = (IndexUnavailableError, LockError)
TOKEN_PATTERN = RegexTokenizer().expression  # how the analyzer (below) cuts text into words


def make_analyzer() -> Any:
    # LanguageAnalyzer("en")'s chain: it stems "running" to "run" (StemmingAnalyzer gives
    # "runn") and drops English stop words, so questions full of "what did I…" still match.
    # Accents are folded before stemming, in the index and in questions alike: "cafe" finds
    # "café" and back, and "Straße"/"Strasse" stem alike.
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(_FOLD)
        | StopFilter(lang="en")
        | StemFilter(lang="en", cachesize=50000)
    )


def _date_field() -> DATETIME:
    """A stored, sortable date indexed as one term per document. Whoosh's default (8 terms a
    value, for fast wide ranges) was 10% of all postings; date filters read the sortable
    column (numpy path) or expand a range over the few thousand distinct days (Whoosh)."""
    field = DATETIME(stored=True, sortable=True)
    field.shift_step = 0
    return field


def make_schema() -> Schema:
    analyzer = make_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        rel=ID(stored=True),
        kind=ID(stored=True),
        date=_date_field(),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=1.5, phrase=False),
        body=TEXT(analyzer=analyzer, stored=True, phrase=False),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        entities=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        # stored only: never queried, and a NUMERIC field indexes 8 terms per value (15% of all
        # postings at 10k entries, for nothing)
        line_start=STORED(),
        line_end=STORED(),
        # the fence: never leaves for bridge or training (a private entry, a conflict copy,
        # an entry whose privacy changed and is not confirmed yet)
        private=BOOLEAN(stored=True),
        digest=STORED(),
        isnote=BOOLEAN(stored=True),
        # no date of its own: ``date`` is its file time, for sorting only; date filters skip it
        undated=BOOLEAN(stored=True),
        conflict_of=STORED(),  # a conflict copy: the rel of its original ("" when none)
    )


@dataclass(frozen=True)
class IndexedEntry:
    """What the indexer needs about one entry: the entry and its entities."""

    entry: Entry
    entities: Sequence[str]  # canonical names of entities in the entry
    passage_entities: Sequence[Sequence[str]]  # per passage
    # kept from bridge and training whatever the entry says now (sticky privacy, see api.py)
    fenced: bool = False

    @property
    def private(self) -> bool:
        """What the index stores as ``private``: the entry must not leave the machine."""
        return self.entry.private or self.entry.conflict_of is not None or self.fenced


# Stored on the entry document only; a passage's stored fields get them from there. (title,
# tags and the flags are indexed on passages too, for scoring and filters, but not stored:
# see PassageIndex._add.)
_ENTRY_ONLY = ("digest", "conflict_of")
_FROM_ENTRY = ("title", "tags", "private", "isnote", "undated", "digest", "conflict_of")


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _keywords(values: Iterable[str]) -> str:
    return ",".join(v.replace(",", " ").lower() for v in values if v)


def _single_threaded() -> bool:
    """Forking is safe only without other threads (one may hold a lock the child needs)."""
    return threading.active_count() == 1


def writer_procs(batch: int) -> int:
    """How many writer processes a batch of ``batch`` entries gets (1: a plain writer).
    ``JOURNAL_ME_INDEX_PROCS`` overrides the core count (1 turns the pool off)."""
    if batch < PARALLEL_MIN_ENTRIES or not _single_threaded():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    if os.environ.get("JOURNAL_ME_INDEX_PROCS", "").isdigit():
        cores = int(os.environ["JOURNAL_ME_INDEX_PROCS"])
    return max(1, min(cores, MAX_WRITER_PROCS))


def _with_entry_fields(
    s: Searcher, fields: dict[str, Any], entries: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A passage's stored fields completed with those it shares with its entry (title, tags,
    privacy, digest…), which only the entry document stores. ``entries`` caches the entry
    documents read (by rel) for one call."""
    if fields.get("kind") != "passage":
        return fields
    rel = fields.get("rel", "")
    entry = entries.get(rel)
    if entry is None:
        docnum = s.document_number(id=rel)
        entry = entries[rel] = dict(s.stored_fields(docnum)) if docnum is not None else {}
    for name in _FROM_ENTRY:
        if name in entry and name not in fields:
            fields[name] = entry[name]
    return fields


def to_whoosh(clause: Clause | Query) -> Query:
    """The retriever's query form (:mod:`journal_me.memory.query`) as a Whoosh query; a
    Whoosh query is returned as it is."""
    from whoosh import query as wq

    if isinstance(clause, Query):
        return clause
    match clause:
        case qf.Term(field, text, boost):
            return wq.Term(field, text, boost=boost)
        case qf.Prefix(field, text):
            return wq.Prefix(field, text)
        case qf.DateRange(field, start, end):
            return wq.DateRange(field, start, end)
        case qf.AnyOf(clauses):
            return wq.Or([to_whoosh(c) for c in clauses])
        case qf.AllOf(clauses):
            return wq.And([to_whoosh(c) for c in clauses])
        case qf.Not(inner):
            return wq.Not(to_whoosh(inner))
        case qf.Everything():
            return wq.Every()
    raise TypeError(f"not a query: {clause!r}")


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
        self._opened = 0  # searchers opened so far: names the one a row's ``_doc`` belongs to
        # entry documents' stored fields by rel, read for passages' hits (title, tags, privacy…)
        # from the current searcher (dropped when another opens): a warm search's hits name the
        # same entries
        self._entries: dict[str, dict[str, Any]] = {}
        # numpy evaluation over _searcher, while it agrees with Whoosh (made by _vector once
        # the index has fast_path_min_docs documents)
        self._fast: FastPath | None = None
        self.fast_path_min_docs = FAST_PATH_MIN_DOCS
        self._lock = threading.RLock()  # the writer: held for a whole batch (a first index)
        # The shared searcher and its caches. Searches read posting files through it (seek +
        # read), so one at a time; a search during a long write sees the last commit instead
        # of waiting for the write. Order: _lock, then _read_lock.
        self._read_lock = threading.RLock()
        # the documents each filter allows, per index generation (never the private fence)
        self._filters = FilterCache(self.directory.parent / f"{self.directory.name}.filters")
        self._open()

    # -- opening / recovery ----------------------------------------------------------------
    def _version_file(self) -> Path:
        return self.directory / "SCHEMA_VERSION"

    def _marker(self) -> Path:
        return self.directory / REBUILD_MARKER

    @property
    def incomplete(self) -> bool:
        """A rebuild (or a recovery) emptied the index and its first commit never landed (the
        process was killed, the write failed): searches miss entries until the next index."""
        try:
            return self._marker().exists()
        except OSError:
            return False

    def finish_rebuild(self) -> None:
        """Mark the index whole again (:meth:`write` does it on commit; a rebuild of an empty
        vault, which writes nothing, calls this)."""
        with contextlib.suppress(OSError):
            self._marker().unlink(missing_ok=True)

    def _create(self, *, rebuilding: bool = False) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if rebuilding:  # before the empty index exists: a kill from here on leaves the note
            self._marker().write_text("rebuild started; the index is incomplete until it commits\n")
        self._ix = windex.create_in(str(self.directory), self.schema, indexname=INDEX_NAME)
        self._version_file().write_text(SCHEMA_VERSION)

    def _open(self) -> None:
        if self.directory.exists() and not self.directory.is_dir():
            self._reset(f"index path {self.directory} was a file, not a folder")
            return
        why = ""
        for attempt in range(OPEN_ATTEMPTS):
            if attempt:
                # another process committing can delete the segment files we were about to
                # read: a moment later the index opens fine. Only persistent damage rebuilds.
                time.sleep(OPEN_RETRY_DELAY)
            try:
                why = self._try_open()
            except LockError:
                raise IndexLockedError(
                    f"the index at {self.directory} is locked by another journal-me process; "
                    "close it or try again"
                ) from None
            except Exception as exc:
                if not _is_damage(exc):  # the machine, not the index: rebuilding would not help
                    self._close_quietly()
                    if self._locked_by_another():
                        raise IndexLockedError(
                            f"{_open_failure(self.directory, exc)}; another journal-me process "
                            "holds it: close it first"
                        ) from exc
                    raise IndexUnavailableError(_open_failure(self.directory, exc)) from exc
                # damaged — or another process's commit deleted the segment files we were
                # about to read: retried before rebuilding
                why = f"index was unreadable ({type(exc).__name__}: {exc})"
                continue
            if not why:
                return
            break
        if self._locked_by_another():
            # a live writer elsewhere: never delete the index under it
            raise IndexLockedError(
                f"the index at {self.directory} could not be opened ({why}) and is locked by "
                "another journal-me process; close it and try again"
            )
        self._reset(why)

    def _try_open(self) -> str:
        """Open the index; '' when it is fine, else why it must be rebuilt."""
        if not self.directory.exists() or not windex.exists_in(str(self.directory), indexname=INDEX_NAME):
            # (a garbled TOC fails already in exists_in: "different architecture")
            self._create()
            return ""
        try:
            version = self._version_file().read_text().strip()
        except FileNotFoundError:
            version = ""
        if version != SCHEMA_VERSION:
            return "index format changed"
        self._ix = windex.open_dir(str(self.directory), indexname=INDEX_NAME)
        with self._ix.searcher() as s:
            s.doc_count()
        return ""

    def _close_quietly(self) -> None:
        if self._ix is not None:
            with contextlib.suppress(Exception):
                self._ix.close()
            self._ix = None

    def _locked_by_another(self) -> bool:
        if not self.directory.is_dir():
            return False
        try:
            lock = FileStorage(str(self.directory)).lock(f"{INDEX_NAME}_WRITELOCK")
            if not lock.acquire(False):
                return True
            lock.release()
        except Exception:
            return False
        return False

    def _reset(self, why: str) -> None:
        self.recovered = why + "; rebuilt it"
        with self._read_lock:
            if self._searcher is not None:
                with contextlib.suppress(Exception):
                    self._searcher.close()
                self._searcher = None
            if self.directory.is_dir():
                with contextlib.suppress(OSError):
                    self._marker().write_text("rebuild started\n")
                for child in self.directory.iterdir():
                    if child.name == REBUILD_MARKER:
                        continue
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        with contextlib.suppress(OSError):
                            child.unlink()
            elif self.directory.exists() or self.directory.is_symlink():
                self.directory.unlink()  # a file where the folder should be
            self._create(rebuilding=True)

    def clear(self) -> None:
        with self._lock:
            self._reset("rebuild requested")
            self.recovered = None

    # -- writing ---------------------------------------------------------------------------
    def _writer(self, procs: int = 1) -> IndexWriter:
        deadline = time.monotonic() + self.lock_timeout
        told = False
        while True:
            try:
                if procs > 1:  # (its own module: a search never loads multiprocessing)
                    from journal_me.memory.parallel_writer import ParallelWriter

                    return ParallelWriter(self._ix, procs, WRITER_LIMIT_MB)
                from journal_me.memory.fast_writer import BufferedWriter, usable

                if usable():  # Whoosh's SegmentWriter with postings buffered per term: same files
                    return BufferedWriter(self._ix, limitmb=WRITER_LIMIT_MB, codec=CompactCodec())
                return self._ix.writer(limitmb=WRITER_LIMIT_MB, codec=CompactCodec())
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
        *,
        size: int | None = None,
    ) -> int:
        """Replace the documents of the given entries, delete others. Returns docs added.

        ``add`` is read as it goes (a generator keeps memory flat). One writer and one commit
        for the whole batch: committing every few hundred entries made whoosh merge the
        growing segments again and again (~13% of a 10k-entry index). A large batch (``size``
        or ``len(add)`` entries, see :func:`writer_procs`) is written by one process per core.
        ``on_added(n)`` is called every 250 entries, for progress bars.
        """
        count = 0
        if size is None and isinstance(add, Sequence):
            size = len(add)
        with self._lock:
            writer = self._writer(writer_procs(size or 0))
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
            self.finish_rebuild()
        return count

    def _add(self, writer: IndexWriter, item: IndexedEntry) -> int:
        e = item.entry
        common: dict[str, Any] = {
            "rel": e.rel,
            "date": _as_datetime(e.date),
            "title": e.title,
            "tags": _keywords(e.tags),
            "private": item.private,
            "digest": e.digest,
            "isnote": e.kind == "note",
            "undated": e.undated,
            "conflict_of": e.conflict_of or "",
        }
        # The entry document is the manifest (digest) and the entry list (title, date, tags):
        # its text is searched through its passages only, so it has no body.
        writer.add_document(
            id=e.rel,
            kind="entry",
            entities=_keywords(item.entities),
            line_start=1,
            line_end=e.body_line_offset + e.body.count("\n") + 1,
            **common,
        )
        # A passage indexes the entry's fields (for filters and scoring) but stores only its
        # own: searches read the rest from the entry document (see _with_entry_fields).
        indexed = {k: v for k, v in common.items() if k not in _ENTRY_ONLY}
        for p, ents in zip(e.passages, item.passage_entities, strict=False):
            writer.add_document(
                id=f"{e.rel}#{p.index}",
                kind="passage",
                body=p.text,
                # read back from the file lines when it follows from them (passage_text.py)
                _stored_body=None if follows_from_file(e, p) else p.text,
                entities=_keywords(ents),
                line_start=p.line_start,
                line_end=p.line_end,
                _stored_title=None,
                _stored_tags=None,
                _stored_private=None,
                _stored_isnote=None,
                _stored_undated=None,
                **indexed,
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
                self._opened += 1
                self._entries = {}  # (a commit: a new privacy flag among them)
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

    def search(
        self, query: Clause | Query, *, limit: int, filter: Clause | Query | None = None
    ) -> list[dict[str, Any]]:
        """Stored fields (+ ``score``) of the best ``limit`` documents, best first.

        Scored with numpy over the postings (:mod:`journal_me.memory.vectorsearch`) when the
        query is a flat ``Or`` of terms, as the retriever's are; by Whoosh otherwise. Both give
        the same hits and scores. Any failure of the numpy path (Whoosh internals it reads
        changed) turns it off for good and Whoosh answers: see :meth:`fast_path_status`.
        """
        query = to_whoosh(query)
        clause = filter
        filter = to_whoosh(filter) if filter is not None else None
        with self._read_lock:
            s = self.searcher()
            vector = self._vector(s)
            mask: Any = None  # numpy's bool array of the filter's documents
            top: list[tuple[int, float]] | None = None
            if vector is not None and self._fast is not None:
                from journal_me.memory.vectorsearch import Unsupported

                try:
                    mask = vector.docs(filter) if filter is not None else None
                    if mask is not None and not mask.any():
                        return []  # (Whoosh would read an empty allow-set as "no filter")
                    top = vector.top(query, limit, mask)
                except Unsupported:
                    pass
                except Exception as exc:
                    self._fast.disable(f"numpy scorer failed on a query ({type(exc).__name__}: {exc})")
                    mask = None
            if top is None:
                allow = None
                if mask is not None:
                    allow = BitSet(mask.nonzero()[0].tolist(), size=len(mask))
                elif filter is not None:
                    allow = self._allowed(s, clause if clause is not None else filter)
                    if not allow:
                        return []
                top = [(hit.docnum, float(hit.score)) for hit in s.search(query, limit=limit, filter=allow)]
            out = []
            if len(self._entries) > ENTRY_CACHE_SIZE:
                self._entries = {}
            entries = self._entries
            for docnum, score in top:
                fields = _with_entry_fields(s, dict(s.stored_fields(docnum)), entries)
                fields["score"] = score
                fields["_doc"] = (self._opened, docnum)  # for :meth:`docs_holding`
                out.append(fields)
            return out

    def docs_holding(
        self, fields: Sequence[str], terms: Iterable[str], docs: Collection[tuple[int, int]]
    ) -> dict[str, set[tuple[int, int]]] | None:
        """term -> which of ``docs`` (search rows' ``_doc``: searcher, document number) hold it
        in any of ``fields``; None when they name a searcher that is no longer the current one
        (a commit came in between). Each term's postings are skipped through to the given
        documents only: a frequent term's thousands of postings are not walked."""
        wanted = sorted({d for _, d in docs})
        named = {o for o, _ in docs}
        out: dict[str, set[tuple[int, int]]] = {}
        with self._read_lock:
            s = self.searcher()
            if named - {self._opened}:
                return None
            reader = s.reader()
            vector = self._vector(s)  # the numpy scorer's postings: the search read them
            for t in terms:
                held: set[tuple[int, int]] = set()
                for f in fields:
                    if (f, t) not in reader:
                        continue
                    if vector is not None:
                        try:
                            held.update((self._opened, d) for d in vector.holding(f, t, wanted))
                            continue
                        except Exception:  # (Whoosh internals changed: its own matcher below)
                            pass
                    m = reader.postings(f, t)
                    for d in wanted:
                        if m.is_active() and m.id() < d:
                            m.skip_to(d)
                        if not m.is_active():
                            break
                        if m.id() == d:
                            held.add((self._opened, d))
                out[t] = held
        return out

    def _allowed(self, s: Searcher, filter: Clause | Query) -> BitSet:
        """The documents ``filter`` allows. The retriever's filters come from the per-generation
        cache (:mod:`journal_me.memory.filter_cache`) except their private fence, which is
        evaluated on the index every time."""
        size = s.doc_count_all()
        if isinstance(filter, Query):
            return BitSet(s.docs_for_query(filter), size=size)
        cached, fence = split_fence(filter)
        if not cached:  # nothing to cache (the retriever's filters always name the kind)
            return BitSet(s.docs_for_query(to_whoosh(filter)), size=size)
        whole = to_whoosh(qf.AllOf(cached))
        bits = bytearray(self._filters.bits(s, cached, lambda: bits_of(s.docs_for_query(whole), size)))
        for clause in fence:
            if isinstance(clause, qf.Not):  # (the fence: Not(private): remove the few private)
                for n in s.docs_for_query(to_whoosh(clause.clause)):
                    bits[n >> 3] &= ~(1 << (n & 7)) & 0xFF
            else:
                keep = bits_of(s.docs_for_query(to_whoosh(clause)), size)
                bits = bytearray(a & b for a, b in zip(bits, keep, strict=True))
        return BitSet.from_bytes(bits)

    def _vector(self, searcher: Searcher) -> Any:
        """The numpy evaluator for ``searcher`` (a ``VectorSearcher``), or None: the index is
        below ``fast_path_min_docs`` documents, or the fast path is off."""
        if self._fast is None:
            if searcher.doc_count_all() < self.fast_path_min_docs:
                return None
            from journal_me.memory.vectorsearch import FastPath

            self._fast = FastPath()
        return self._fast.vector(searcher)

    def fast_path_status(self) -> tuple[bool | None, str]:
        """(whether searches score with numpy, why): the numpy path runs a one-query
        self-check against Whoosh's own search when the first searcher opens, and is off when
        that check (or any later query) failed — Whoosh then searches alone, slower. None:
        not used, the index is small enough for Whoosh alone (``fast_path_min_docs``)."""
        with self._read_lock:
            s = self.searcher()
            self._vector(s)
            if self._fast is None:
                docs, least = s.doc_count_all(), self.fast_path_min_docs
                return None, f"Whoosh alone: {docs} documents, the numpy scorer starts at {least}"
            return self._fast.status()

    def passages_of(self, rel: str) -> list[dict[str, Any]]:
        with self._read_lock:
            s = self.searcher()
            entries: dict[str, dict[str, Any]] = {}
            return [
                _with_entry_fields(s, dict(d), entries)
                for d in s.documents(rel=rel)
                if d["kind"] == "passage"
            ]

    def doc_count(self) -> int:
        with self._read_lock:
            return int(self.searcher().doc_count())

    def doc_frequencies(self, fields: Sequence[str], terms: Iterable[str]) -> dict[str, int]:
        """term -> documents holding it, summed over ``fields`` (a term's rarity)."""
        with self._read_lock:
            s = self.searcher()
            return {t: sum(int(s.doc_frequency(f, t)) for f in fields) for t in terms}

    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._ix is not None:
                self._ix.close()
