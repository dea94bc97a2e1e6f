"""Whoosh queries evaluated with numpy over Whoosh's own postings.

Whoosh stores the index (segments, postings, stored fields, locks) and stays the source of
truth; what is slow in it at 10,000 entries is the pure-Python matcher tree that walks a
union of common terms one posting at a time (a question naming a person and a place spends
~95 % of its time there). The retriever's queries are flat — an ``Or`` of boosted ``Term``
clauses, filtered by kind, dates, tags and the private flag — so this module reads each
term's posting blocks straight into arrays and scores them with Whoosh's BM25F formula,
vectorised: the same scores and the same top hits (ties broken by document number, as
Whoosh's collector does; ``tests/core/test_vectorsearch.py`` checks it against
``Searcher.search``).

A scored query of any other shape (a phrase, a wildcard), or another weighting model,
raises :class:`Unsupported` and the caller runs Whoosh's own search; a filter of another shape
is evaluated by Whoosh here. Filter masks are cached per searcher. Per-segment arrays (field lengths, dates)
are cached by segment id: segments never change once written, so after a save only the new
small segment is read.

This leans on the layout of Whoosh 3 codec posting blocks (``W3LeafMatcher``); any other
matcher is walked through the public matcher interface instead — slower, still right. Those
internals are looked up when used, never trusted: :class:`FastPath` (one per index) runs a
one-query self-check against ``Searcher.search`` when the index's first searcher opens, and
turns the numpy path off — saying why, for ``doctor`` — when an internal is missing, the check
disagrees, or a later query raises; the index then searches with Whoosh alone.
"""

from __future__ import annotations

import importlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from whoosh import query as Q
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from journal_me.memory.compact_codec import packed_dtype


def _import(name: str) -> tuple[Any, str]:
    try:
        return importlib.import_module(name), ""
    except Exception as exc:  # another Whoosh: the fast path stays off, Whoosh searches
        return None, f"cannot import {name} ({type(exc).__name__}: {exc})"


# Whoosh internals, looked up by attribute when used (a missing one turns the fast path off)
_w3, _W3_ERROR = _import("whoosh.codec.whoosh3")
_wrappers, _WRAPPERS_ERROR = _import("whoosh.matching.wrappers")
_numeric, _NUMERIC_ERROR = _import("whoosh.util.numeric")
_times, _TIMES_ERROR = _import("whoosh.util.times")
# what the fast path reads: (module, attribute path)
_NEEDED: tuple[tuple[str, str], ...] = (
    ("whoosh.codec.whoosh3", "W3LeafMatcher._read_data"),
    ("whoosh.codec.whoosh3", "W3LeafMatcher._next_block"),
    ("whoosh.codec.whoosh3", "W3PerDocReader._cached_reader"),
    ("whoosh.codec.whoosh3", "LENGTHS_COLUMN"),
    ("whoosh.matching.wrappers", "FilterMatcher"),
    ("whoosh.util.numeric", "byte_to_length"),
    ("whoosh.util.times", "datetime_to_long"),
)
_MODULES: dict[str, tuple[Any, str]] = {
    "whoosh.codec.whoosh3": (_w3, _W3_ERROR),
    "whoosh.matching.wrappers": (_wrappers, _WRAPPERS_ERROR),
    "whoosh.util.numeric": (_numeric, _NUMERIC_ERROR),
    "whoosh.util.times": (_times, _TIMES_ERROR),
}


def internals_missing() -> str:
    """'' when every Whoosh internal the fast path reads is there, else what is not."""
    for module_name, path in _NEEDED:
        module, error = _MODULES[module_name]
        if module is None:
            return error
        obj: Any = module
        for part in path.split("."):
            if not hasattr(obj, part):
                return f"{module_name} has no {path}"
            obj = getattr(obj, part)
    return ""


def _length_table() -> np.ndarray:
    # Field lengths are stored as one byte each; this is Whoosh's own decoding of that byte.
    byte_to_length = _numeric.byte_to_length
    return np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


try:
    _LENGTH_OF_BYTE: np.ndarray | None = _length_table()
except Exception:  # internals_missing() says why; nothing here runs then
    _LENGTH_OF_BYTE = None


def _length_bytes(column: Any, size: int) -> np.ndarray:
    """A segment's field-length bytes. Whoosh's length column is fixed-width, one byte per
    document, stored contiguously (documents past its end have the default 0): one read of
    that block, instead of a Python call per document (0.9 of 1.0 s CPU of a one-shot CLI
    search at 10k entries). Any other reader shape is walked through its public iterator."""
    basepos, count = getattr(column, "_basepos", None), getattr(column, "_count", None)
    get = getattr(getattr(column, "_dbfile", None), "get", None)
    if (
        getattr(column, "_fixedlen", None) == 1
        and getattr(column, "_default", None) == 0
        and isinstance(basepos, int)
        and isinstance(count, int)
        and 0 <= count <= size
        and callable(get)
    ):
        raw = get(basepos, count)
        if isinstance(raw, bytes | bytearray | memoryview) and len(raw) == count:
            out = np.zeros(size, dtype=np.uint8)
            out[:count] = np.frombuffer(raw, dtype=np.uint8)
            return out
    return np.fromiter(column, dtype=np.uint8, count=size)


SEGMENT_CACHE_SIZE = 64  # per-segment arrays kept (one entry per segment and field)
FILTER_CACHE_SIZE = 64  # filter masks kept per searcher
# Postings kept decoded per searcher, the most recently read terms' (at 16 bytes a posting,
# 4 MB): a search reads its terms' postings to score its first round, again to score its
# second, and the ranking guards ask which candidates hold its rarest term.
POSTINGS_KEPT = 262_144

Mask = np.ndarray  # bool, one per document of a searcher


class Unsupported(Exception):
    """The query has a shape this module does not evaluate; use Whoosh's search."""


@dataclass(frozen=True)
class _Leaf:
    reader: Any  # whoosh SegmentReader
    offset: int
    size: int
    key: str  # segment id: what per-segment caches are keyed by


class SegmentArrays:
    """Per-segment arrays (field lengths, dates), shared by every searcher of an index."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, leaf: _Leaf, what: str, build: Any) -> np.ndarray:
        key = (leaf.key, what)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        value: np.ndarray = build()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > SEGMENT_CACHE_SIZE:
                self._cache.popitem(last=False)
        return value


def _leaves(searcher: Searcher) -> list[_Leaf]:
    out = []
    for reader, offset in searcher.reader().leaf_readers():
        segment = getattr(reader, "segment", None)
        seg = segment() if callable(segment) else None
        key = seg.segment_id() if seg is not None else f"{id(reader)}"
        out.append(_Leaf(reader, int(offset), int(reader.doc_count_all()), key))
    return out


def _numbers(raw: Any, dtype: Any) -> np.ndarray:
    """A block's ids or weights: packed bytes (memory/compact_codec.py) or Whoosh 3's tuple."""
    if isinstance(raw, bytes):
        return np.frombuffer(raw, dtype=packed_dtype(raw), offset=1).astype(dtype)
    return np.asarray(raw, dtype=dtype)


def _block_arrays(m: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(ids, weights) of every posting block of a Whoosh 3 leaf matcher, in order."""
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw_ids, raw_weights = m._data[0], m._data[1]
        n = m._blocklength
        ids = _numbers(raw_ids, np.int64)
        if not m._byteids:
            ids = np.cumsum(ids)  # ids are stored as deltas within a block
        if raw_weights is None:
            weights = np.ones(n, dtype=np.float64)
        elif isinstance(raw_weights, float):
            weights = np.full(n, raw_weights, dtype=np.float64)
        else:
            weights = _numbers(raw_weights, np.float64)
        yield ids, weights
        m._next_block()


def _matcher_arrays(make: Callable[[], Any]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, weights) of a term's postings; ``make()`` opens a fresh matcher."""
    filter_matcher = _wrappers.FilterMatcher
    m = make()
    if isinstance(m, filter_matcher):  # deletions: applied with the live mask instead
        m = m.child
    if isinstance(m, _w3.W3LeafMatcher):
        try:
            parts = list(_block_arrays(m))
        except AttributeError:  # another Whoosh's internals: walk a fresh matcher instead
            m = make()
            m = m.child if isinstance(m, filter_matcher) else m
        else:
            if parts:
                return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
            return np.empty(0, np.int64), np.empty(0, np.float64)
    ids: list[int] = []
    weights: list[float] = []
    while m.is_active():  # inlined postings (ListMatcher) and anything else
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


class VectorSearcher:
    """Evaluates flat queries over one Whoosh searcher with numpy."""

    def __init__(self, searcher: Searcher, segments: SegmentArrays) -> None:
        self.searcher = searcher
        self.segments = segments
        self.leaves = _leaves(searcher)
        self.size = int(searcher.doc_count_all())
        self._live: Mask | None = None
        self._columns: dict[str, np.ndarray] = {}  # whole-index columns, built once per searcher
        self._filters: OrderedDict[str, Mask] = OrderedDict()  # repr(filter) -> mask
        self._postings: OrderedDict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._postings_kept = 0  # postings in self._postings
        self._postings_lock = threading.Lock()

    # -- per-document arrays ---------------------------------------------------------------
    def live(self) -> Mask:
        """Documents not deleted."""
        if self._live is None:
            mask = np.ones(self.size, dtype=bool)
            for leaf in self.leaves:
                if leaf.reader.has_deletions():
                    dead = getattr(leaf.reader, "deleted_docs_set", None)  # SegmentReader's
                    if dead is None:
                        dead = [d for d in range(leaf.size) if leaf.reader.is_deleted(d)]
                    mask[np.fromiter(dead, dtype=np.int64) + leaf.offset] = False
            self._live = mask
        return self._live

    def _column(self, what: str, build_leaf: Any) -> np.ndarray:
        column = self._columns.get(what)
        if column is None:
            parts = [
                self.segments.get(leaf, what, lambda leaf=leaf: build_leaf(leaf)) for leaf in self.leaves
            ]
            column = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0)
            self._columns[what] = column
        return column

    def lengths(self, field: str) -> np.ndarray:
        def build(leaf: _Leaf) -> np.ndarray:
            perdoc = getattr(leaf.reader, "_perdoc", None)
            if isinstance(perdoc, _w3.W3PerDocReader) and _LENGTH_OF_BYTE is not None:
                # the length bytes, in one read
                column = perdoc._cached_reader(f"_{field}_len", _w3.LENGTHS_COLUMN)
                if column is None:
                    return np.zeros(leaf.size, dtype=np.float64)
                lengths: np.ndarray = _LENGTH_OF_BYTE[_length_bytes(column, leaf.size)]
                return lengths
            length = leaf.reader.doc_field_length
            return np.fromiter((length(d, field, 0) or 0 for d in range(leaf.size)), np.float64, leaf.size)

        return self._column(f"len:{field}", build)

    def dates(self, field: str) -> np.ndarray:
        """A DATETIME column as int64 microseconds (Whoosh's own representation)."""

        def build(leaf: _Leaf) -> np.ndarray:
            column = leaf.reader.column_reader(field, translate=False)
            return np.fromiter(column, dtype=np.int64, count=leaf.size)

        return self._column(f"date:{field}", build)

    def postings(self, field: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers and weights of one term (deleted documents included).
        The arrays are shared (kept for the next caller): do not change them."""
        btext = self.searcher.schema[field].to_bytes(text)
        key = (field, btext)
        with self._postings_lock:
            hit = self._postings.get(key)
            if hit is not None:
                self._postings.move_to_end(key)
                return hit
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for leaf in self.leaves:
            if (field, btext) not in leaf.reader:
                continue
            i, w = _matcher_arrays(partial(leaf.reader.postings, field, btext))
            ids.append(i + leaf.offset)
            weights.append(w)
        if not ids:
            out = np.empty(0, np.int64), np.empty(0, np.float64)
        else:
            out = np.concatenate(ids), np.concatenate(weights)
        for a in out:
            a.flags.writeable = False
        with self._postings_lock:
            if key not in self._postings:
                self._postings[key] = out
                self._postings_kept += len(out[0])
                while self._postings_kept > POSTINGS_KEPT and len(self._postings) > 1:
                    _, (old, _) = self._postings.popitem(last=False)
                    self._postings_kept -= len(old)
        return out

    def holding(self, field: str, text: Any, docs: list[int]) -> list[int]:
        """Which of ``docs`` (sorted global document numbers) hold the term."""
        ids = self.postings(field, text)[0]
        wanted = np.asarray(docs, dtype=np.int64)
        return [int(d) for d in wanted[np.isin(wanted, ids)]]

    # -- filters ---------------------------------------------------------------------------
    def docs(self, q: Q.Query) -> Mask:
        """The documents a filter query matches (deleted ones excluded), cached: the same few
        filters come back on every search."""
        key = repr(q)
        mask = self._filters.get(key)
        if mask is not None:
            self._filters.move_to_end(key)
            return mask
        try:
            mask = self._docs(q) & self.live()
        except Unsupported:  # Whoosh walks it
            mask = np.zeros(self.size, dtype=bool)
            mask[list(self.searcher.docs_for_query(q))] = True
        self._filters[key] = mask
        if len(self._filters) > FILTER_CACHE_SIZE:
            self._filters.popitem(last=False)
        return mask

    def _docs(self, q: Q.Query) -> Mask:
        mask: Mask
        if isinstance(q, Q.Term):
            mask = np.zeros(self.size, dtype=bool)
            mask[self.postings(q.fieldname, q.text)[0]] = True
        elif isinstance(q, Q.Prefix):
            mask = np.zeros(self.size, dtype=bool)
            for text in self.searcher.reader().expand_prefix(q.fieldname, q.text):
                mask[self.postings(q.fieldname, text)[0]] = True
        elif isinstance(q, Q.Every):
            mask = np.ones(self.size, dtype=bool)
        elif isinstance(q, Q.And):
            mask = np.ones(self.size, dtype=bool)
            for sub in q.subqueries:
                mask &= self._docs(sub)
        elif isinstance(q, Q.Or):
            mask = np.zeros(self.size, dtype=bool)
            for sub in q.subqueries:
                mask |= self._docs(sub)
        elif isinstance(q, Q.Not):
            mask = ~self._docs(q.query)
        elif isinstance(q, Q.DateRange):
            mask = self._date_range(q)
        else:
            raise Unsupported(type(q).__name__)
        return mask

    def _date_range(self, q: Q.DateRange) -> Mask:
        dates = self.dates(q.fieldname)
        datetime_to_long = _times.datetime_to_long
        mask = np.ones(self.size, dtype=bool)
        if q.startdate is not None:
            lo = datetime_to_long(q.startdate)
            mask &= dates > lo if q.startexcl else dates >= lo
        if q.enddate is not None:
            hi = datetime_to_long(q.enddate)
            mask &= dates < hi if q.endexcl else dates <= hi
        return mask

    # -- scoring ---------------------------------------------------------------------------
    def _clauses(self, q: Q.Query, boost: float = 1.0) -> list[tuple[Q.Term, float]]:
        """The scored terms of a query with their boosts (an ``Or`` sums its clauses)."""
        if isinstance(q, Q.Term):
            return [(q, boost * q.boost)]
        if isinstance(q, Q.Or) and q.minmatch in (0, 1) and not q.scale:
            out: list[tuple[Q.Term, float]] = []
            for sub in q.subqueries:
                out.extend(self._clauses(sub, boost * q.boost))
            return out
        raise Unsupported(type(q).__name__)

    def scores(self, q: Q.Query) -> tuple[np.ndarray, Mask]:
        """BM25F scores of every document and which documents matched (Or of boosted Terms)."""
        if isinstance(q, Q.Every):
            return np.ones(self.size), np.ones(self.size, dtype=bool)
        w = self.searcher.weighting
        if type(w) is not BM25F:
            raise Unsupported(f"weighting {type(w).__name__}")
        scores = np.zeros(self.size, dtype=np.float64)
        matched = np.zeros(self.size, dtype=bool)
        for term, boost in self._clauses(q):
            field = term.fieldname
            if field not in self.searcher.schema:
                continue
            schema_field = self.searcher.schema[field]
            ids, tf = self.postings(field, term.text)
            if not len(ids):
                continue
            if schema_field.scorable:  # Whoosh's BM25FScorer
                btext = schema_field.to_bytes(term.text)
                idf = self.searcher.idf(field, btext)
                avgfl = self.searcher.avg_field_length(field) or 1
                b = w._field_B.get(field, w.B)
                k1 = w.K1
                fl = self.lengths(field)[ids]
                part = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
            else:  # Whoosh's WeightScorer
                part = tf
            scores[ids] += part * boost  # a term has each document at most once
            matched[ids] = True
        return scores, matched

    def top(self, q: Q.Query, limit: int, allow: Mask | None = None) -> list[tuple[int, float]]:
        """The best ``limit`` (docnum, score) pairs: score descending, then docnum."""
        scores, matched = self.scores(q)
        keep = matched & self.live()
        if allow is not None:
            keep &= allow
        cand = np.flatnonzero(keep)
        if len(cand) > limit:
            part = np.argpartition(-scores[cand], limit - 1)[:limit]
            # everything tied with the last kept score competes on docnum, as in Whoosh
            cut = scores[cand[part]].min()
            cand = cand[scores[cand] >= cut]
        order = np.lexsort((cand, -scores[cand]))[:limit]
        return [(int(cand[i]), float(scores[cand[i]])) for i in order]


# -- the self-check and the switch -----------------------------------------------------------
SELF_CHECK_LIMIT = 50
SELF_CHECK_TOLERANCE = 1e-6  # relative (absolute below 1)


SELF_CHECK_MAX_DF = 700  # postings per checked term: two blocks at most (512 a block), cheap for Whoosh


def _check_query(searcher: Searcher) -> Q.Query | None:
    """A retriever-shaped query over two words of the index's first passage (None: nothing to
    check yet): its most frequent word under :data:`SELF_CHECK_MAX_DF` documents (postings
    that span blocks, still cheap for Whoosh's own matcher) and its rarest."""
    docnum = searcher.document_number(kind="passage")
    if docnum is None:
        return None
    fields = searcher.stored_fields(docnum)
    text = f"{fields.get('title', '')} {str(fields.get('body', ''))[:400]}"
    words = dict.fromkeys(t.text for t in searcher.schema["body"].analyzer(text))
    if "body" not in fields:  # its text is not stored (memory/passage_text.py): the lexicon's first words
        words.update(dict.fromkeys(itertools.islice(searcher.reader().field_terms("body"), 400)))
    df = {w: searcher.doc_frequency("body", w) for w in words}
    ranked = sorted((w for w in words if 0 < df[w] <= SELF_CHECK_MAX_DF), key=lambda w: -df[w])
    picked = list(dict.fromkeys(ranked[:1] + ranked[-1:]))  # a frequent word and a rare one
    if not picked:
        return None
    clauses: list[Q.Query] = []
    for w in picked:
        clauses += [Q.Term("body", w), Q.Term("title", w, boost=0.4), Q.Term("tags", w, boost=0.6)]
    return Q.Or(clauses)


def self_check(searcher: Searcher, vector: VectorSearcher) -> tuple[bool | None, str]:
    """Run one query both ways: (True, …) when numpy gives Whoosh's hits and scores, (False,
    why) when not, (None, why) when the index has nothing to compare yet."""
    missing = internals_missing()
    if missing:
        return False, missing
    try:
        query = _check_query(searcher)
        if query is None:
            return None, "not checked yet (no passages indexed)"
        # no filter: building Whoosh's filter set walks every passage id in Python (a third
        # of a one-shot CLI search at 10k entries); the scores are what is checked
        got = vector.top(query, SELF_CHECK_LIMIT)
        hits = searcher.search(query, limit=SELF_CHECK_LIMIT)
        want = [(hit.docnum, float(hit.score)) for hit in hits]
    except Exception as exc:
        return False, f"self-check failed ({type(exc).__name__}: {exc})"
    if [d for d, _ in got] != [d for d, _ in want]:
        return False, f"self-check: numpy found other documents than Whoosh ({len(got)} vs {len(want)} hits)"
    for (_, a), (_, b) in zip(got, want, strict=True):
        if abs(a - b) > SELF_CHECK_TOLERANCE * max(1.0, abs(b)):
            return False, f"self-check: numpy scored {a!r} where Whoosh scored {b!r}"
    return True, f"self-check passed ({len(want)} hits equal)"


class FastPath:
    """Whether an index scores with numpy, and why (see the module's docstring).

    :meth:`vector` gives the numpy evaluator for a searcher, or None once the fast path is off;
    the first searcher with passages runs :func:`self_check`. Call :meth:`disable` when a query
    on the fast path raises. Callers serialise access (the index's read lock).
    """

    def __init__(self) -> None:
        self.segments = SegmentArrays()  # per-segment arrays, shared by successive searchers
        self._vector: VectorSearcher | None = None
        self._on: bool | None = None  # None: not checked yet
        self._why = "not checked yet"

    def status(self) -> tuple[bool, str]:
        """(numpy scorer in use, why); unchecked counts as in use."""
        return self._on is not False, self._why

    def disable(self, why: str) -> None:
        self._on, self._why, self._vector = False, why, None

    def vector(self, searcher: Searcher) -> VectorSearcher | None:
        if self._on is False:
            return None
        if self._vector is None or self._vector.searcher is not searcher:
            try:
                vector = VectorSearcher(searcher, self.segments)
            except Exception as exc:
                self.disable(f"numpy scorer could not open ({type(exc).__name__}: {exc})")
                return None
            if self._on is None:
                self._on, self._why = self_check(searcher, vector)
                if self._on is False:
                    self._vector = None
                    return None
            self._vector = vector
        return self._vector
