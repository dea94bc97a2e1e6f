"""The documents a search filter allows, kept per index generation so a one-shot command does
not collect them again.

Every search is filtered (passages only, the period, the tags, public only when asked): Whoosh
collects the filter's documents into a bit set before scoring, which is reading the postings of
``kind:passage`` — every passage — each time (~0.05 s a process at 10k entries). The set depends
only on the index as committed, so it is computed once per generation and kept in memory and in
a small file beside the index (``index.filters``, owner-only, written atomically).

The private fence is never cached: a filter's clauses about ``private`` are taken out before
its set is looked up, and evaluated on the open index every time (``Not(private)``: the private
passages, a few, are read and removed from the set). A cache that is stale, foreign, damaged or
tampered with can therefore show or hide public passages at worst, never let a private one
through; and it is used only when its key — the index generation and every segment's id, size
and deletion count, which any commit changes — matches the open searcher's, and its checksum
matches its bits. Anything else is a miss: the set is computed from the index and the file
rewritten.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from pathlib import Path
from typing import Any

from journal_me.memory import query as qf

log = logging.getLogger(__name__)

VERSION = 1
MAX_SETS = 16  # filters kept per generation (each distinct period or tag list is one)
FENCE_FIELDS = frozenset({"private"})  # clauses on these fields are evaluated every time


def generation_key(searcher: Any) -> list[Any]:
    """What identifies the committed index ``searcher`` reads: its generation and, per segment
    in docnum order, id, documents and deletions (a rebuilt index has new segment ids)."""
    reader = searcher.reader()
    segments: list[list[Any]] = []
    for leaf, offset in reader.leaf_readers():
        segment = leaf.segment()
        if segment is None:  # not a segment reader (an empty index): its size identifies it
            segments.append(["", leaf.doc_count_all(), 0, offset])
            continue
        segments.append([segment.segment_id(), leaf.doc_count_all(), segment.deleted_count(), offset])
    return [VERSION, reader.generation(), segments, searcher.doc_count_all()]


def _fields(clause: qf.Clause) -> set[str]:
    match clause:
        case qf.Term(field, _, _) | qf.Prefix(field, _) | qf.DateRange(field, _, _):
            return {field}
        case qf.AnyOf(clauses) | qf.AllOf(clauses):
            return set().union(*(_fields(c) for c in clauses))
        case qf.Not(inner):
            return _fields(inner)
    return set()


def split_fence(clause: qf.Clause) -> tuple[tuple[qf.Clause, ...], tuple[qf.Clause, ...]]:
    """(the clauses that may be cached, the fence clauses) of a filter (an ``AllOf`` or one
    clause)."""
    clauses = clause.clauses if isinstance(clause, qf.AllOf) else (clause,)
    fence = tuple(c for c in clauses if _fields(c) & FENCE_FIELDS)
    return tuple(c for c in clauses if c not in fence), fence


def bits_of(docnums: Any, size: int) -> bytearray:
    """A little-endian bit array of ``size`` bits (Whoosh's ``BitSet`` layout) with ``docnums``."""
    bits = bytearray((size + 7) // 8)
    for n in docnums:
        bits[n >> 3] |= 1 << (n & 7)
    return bits


class FilterCache:
    """Bit sets of cacheable filters for one index, by generation (memory + ``path``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._key: list[Any] | None = None
        self._sets: dict[str, bytes] = {}
        self._loaded_for: list[Any] | None = None  # the key the file was last read for

    def bits(self, searcher: Any, clauses: tuple[qf.Clause, ...], compute: Any) -> bytes:
        """The bit set of ``AllOf(clauses)`` on ``searcher``'s index: cached, else
        ``compute()`` (a ``bytes``-like bit array), cached from then on."""
        key = generation_key(searcher)
        if key != self._key:
            self._key, self._sets = key, {}
        name = repr(clauses)
        found = self._sets.get(name)
        if found is not None:
            return found
        if self._loaded_for != key:
            self._loaded_for = key
            self._sets.update(self._read(key))
            found = self._sets.get(name)
            if found is not None:
                return found
        value = bytes(compute())
        self._sets[name] = value
        while len(self._sets) > MAX_SETS:
            del self._sets[next(iter(self._sets))]
        self._write(key)
        return value

    # -- the file ----------------------------------------------------------------------------
    def _read(self, key: list[Any]) -> dict[str, bytes]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(zlib.decompress(self.path.read_bytes()))
        except (OSError, ValueError, zlib.error):
            return {}  # none yet, or unreadable: computed again
        out: dict[str, bytes] = {}
        try:
            if raw.get("key") != key:
                return {}  # another generation: any commit makes the old sets wrong
            size = (key[-1] + 7) // 8
            for name, (crc, text) in raw["sets"].items():
                bits = base64.b64decode(text, validate=True)
                if len(bits) == size and zlib.crc32(bits) == crc and isinstance(name, str):
                    out[name] = bits
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            log.warning("ignoring a filter cache of the wrong shape: %s", self.path)
            return {}
        return out

    def _write(self, key: list[Any]) -> None:
        if self.path is None:
            return
        from journal_me.fsutil import atomic_write

        data = {
            "key": key,
            "sets": {
                name: [zlib.crc32(bits), base64.b64encode(bits).decode("ascii")]
                for name, bits in self._sets.items()
            },
        }
        try:
            atomic_write(self.path, zlib.compress(json.dumps(data).encode("utf-8"), 6), mode=0o600)
        except OSError as exc:  # only a cache: the next process computes the set again
            log.warning("could not save the filter cache %s: %s", self.path, exc)
