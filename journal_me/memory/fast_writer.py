"""A Whoosh segment writer for big batches (a first index, a rebuild): same segment files, a
third of the CPU.

Whoosh's :class:`~whoosh.writing.SegmentWriter` spends most of a first index in pure-Python
per-token and per-posting work: every token goes through a chain of generator filters
(lowercase, accent folding, stop words, stemming behind an LFU cache written in Python), every
posting is a tuple put into a sorting pool (spilled to disk and merged back past ``limitmb``),
and when the segment is written each posting's field length is read back from the segment's
length column on disk, one ``seek`` + ``read`` per posting. :class:`BufferedWriter` writes the
same documents to the same codec:

- text fields whose analyzer is a regex tokenizer followed by per-token filters only (those in
  :data:`_PER_TOKEN_FILTERS`: what each does to a token depends on that token alone) are
  tokenized with one ``findall`` and counted with a ``Counter``; each distinct token runs
  through the analyzer's own filter objects once and the result is remembered. Any other
  analyzer or field (keywords, ids, dates, booleans) goes through ``field.index`` as before;
- postings are kept per field and term as docnum/frequency pairs in compact integer arrays
  (about 8 bytes a posting instead of a ~150-byte tuple), already in docnum order, so writing
  the segment needs no sort: one pass over the sorted terms;
- field lengths are kept in memory, as the segment stores them (one byte per length).

When its buffered postings pass ``limitmb`` (a batch bigger than memory should hold) or a merge
adds another segment's postings to the pool, the buffered postings go into Whoosh's own
sorting pool and the rest runs on Whoosh's path: the result is the same either way.
``tests/core/test_index_writer.py`` checks the segment files' postings, lengths and stored
fields against Whoosh's own writer.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections import Counter
from collections.abc import Callable
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.acore import Token
from whoosh.formats import Existence, Frequency
from whoosh.multiproc import SubWriterTask
from whoosh.system import emptybytes, pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# Filters whose effect on a token depends on that token's text alone (no neighbours, no
# positions), so their result can be computed once per distinct token.
_PER_TOKEN_FILTERS = (LowercaseFilter, CharsetFilter, StopFilter, StemFilter)
# Whoosh's tokenizer patterns (they capture a group, so ``findall`` would return the group), and
# the same patterns without the capture
_CAPTURE_FREE = {
    r"[\w\*]+(\.?[\w\*]+)*": r"[\w\*]+(?:\.?[\w\*]+)*",  # whoosh.analysis.tokenizers.default_pattern
    r"\w+(\.?\w+)*": r"\w+(?:\.?\w+)*",
}
MEMO_MAX = 500_000  # distinct tokens remembered per writer (a long tail of names, 12 scripts)
BYTES_PER_POSTING = 24  # what a buffered posting costs: arrays, and its share of the terms


def _findall(tokenizer: Any) -> Callable[[str], list[str]] | None:
    """A C-speed ``findall`` giving the tokenizer's tokens, or None (a gaps tokenizer)."""
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    expr = tokenizer.expression
    if expr.groups == 0:
        find: Callable[[str], list[str]] = expr.findall
        return find
    if expr.pattern in _CAPTURE_FREE:
        return re.compile(_CAPTURE_FREE[expr.pattern], expr.flags).findall
    return lambda value: [m.group(0) for m in expr.finditer(value)]


class TermCounter:
    """Term (UTF-8 bytes, as the index stores it) -> frequency in a text value, as
    ``analyzer`` gives them in index mode."""

    def __init__(self, analyzer: Any) -> None:
        if not isinstance(analyzer, CompositeAnalyzer):
            raise TypeError("not a composite analyzer")
        items = list(analyzer.items)
        find = _findall(items[0]) if items else None
        if find is None or not all(type(f) in _PER_TOKEN_FILTERS for f in items[1:]):
            raise TypeError("the analyzer has parts that depend on more than one token")
        self._find = find
        self._filters = items[1:]
        self._steps = [_step(f) for f in self._filters]
        self._memo: dict[str, bytes | None] = {}

    def _run(self, raw: str) -> bytes | None:
        """The term the analyzer makes of one token (None: a stop word): its filters as plain
        calls (the same code as each filter's, without a generator per filter and token, and
        without the stemmer's own cache: each distinct token comes here once)."""
        text: str | None = raw
        for step in self._steps:
            text = step(text)  # type: ignore[arg-type]
            if text is None:
                return None
        assert text is not None
        return text.encode("utf-8")

    def _run_filters(self, raw: str) -> bytes | None:
        """:meth:`_run` through the analyzer's filter objects themselves (for the tests)."""
        token = Token(positions=False, chars=False, removestops=True, mode="index", boosts=True)
        token.text = raw
        token.boost = 1.0
        token.stopped = False
        stream: Any = iter((token,))
        for f in self._filters:
            stream = f(stream)
        out = [t.text for t in stream if not t.stopped]
        return out[0].encode("utf-8") if out else None

    def __call__(self, value: str) -> dict[bytes, int]:
        memo = self._memo
        counts: dict[bytes, int] = {}
        for raw, n in Counter(self._find(value)).items():
            if raw in memo:
                term = memo[raw]
            else:
                term = self._run(raw)
                if len(memo) >= MEMO_MAX:
                    memo.clear()
                memo[raw] = term
            if term is not None:
                counts[term] = counts.get(term, 0) + n
        return counts


def _step(f: Any) -> Callable[[str], str | None]:
    """One per-token filter (of :data:`_PER_TOKEN_FILTERS`) as a function of the token's
    text: its new text, or None when it drops the token (index mode: stop words removed)."""
    if type(f) is LowercaseFilter:
        return str.lower
    if type(f) is CharsetFilter:
        charmap = f.charmap
        return lambda text: text.translate(charmap)
    if type(f) is StopFilter:
        stops, least, most = f.stops, f.min, f.max

        def stop(text: str) -> str | None:
            if len(text) >= least and (most is None or len(text) <= most) and text not in stops:
                return text
            return None

        return stop
    if type(f) is StemFilter:
        if f.lang:
            from whoosh.lang import stemmer_for_language

            stemfn = stemmer_for_language(f.lang)
        else:
            stemfn = f.stemfn
        ignore = f.ignore
        return lambda text: text if text in ignore else stemfn(text)
    raise TypeError(f"not a per-token filter: {f!r}")


def _term_counter(field: Any) -> TermCounter | None:
    if type(field.format) is not Frequency or field.vector or field.separate_spelling():
        return None
    try:
        return TermCounter(field.analyzer)
    except (TypeError, AttributeError):
        return None


def _plain(fmt: Any, freq: int) -> tuple[float, bytes]:
    """(weight, value bytes) the format gives a term seen ``freq`` times, with no boosts."""
    if type(fmt) is Frequency:
        return float(freq) * fmt.field_boost, pack_uint(freq)
    if type(fmt) is Existence:
        return fmt.field_boost, emptybytes
    return float("nan"), emptybytes  # never equal: such postings are kept as given


_IMMUTABLE = (str, bytes, int, float, dt.date)
# a field value's postings: (term, frequency, (weight, value) when not plain), and its length
_Terms = tuple[list[tuple[bytes, int, "tuple[float, bytes] | None"]], int]


class BufferedWriter(SegmentWriter):  # type: ignore[misc]
    """:class:`~whoosh.writing.SegmentWriter` with postings buffered per term in memory (see
    the module's docstring). Same arguments; ``limitmb`` bounds the buffer."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._limit = max(1, int(kwargs.get("limitmb", 128))) * 1024 * 1024 // BYTES_PER_POSTING
        self._buffered = 0  # postings in the buffer
        self._post: dict[str, dict[bytes, array[int]]] = {}  # field -> term -> docnum, freq, …
        # postings whose weight or value is not the format's plain one for their frequency
        self._odd: dict[tuple[str, bytes, int], tuple[float, bytes]] = {}
        self._lengths: dict[str, dict[int, int]] = {}  # field -> docnum -> length as stored
        self._counters: dict[str, TermCounter | None] = {}
        self._last: dict[str, tuple[Any, _Terms]] = {}  # field -> its last value and terms
        self._in_pool = False  # postings went to Whoosh's pool: its path writes the segment
        # False: a full buffer is the caller's to handle (BufferedSubWriter starts a new segment)
        self.spill_when_full = True

    # -- adding ------------------------------------------------------------------------------
    def add_document(self, **fields: Any) -> None:
        self._check_state()
        schema = self.schema
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        if any(name.startswith("_") and not name.startswith("_stored_") for name in fields) or any(
            schema[name].vector or schema[name].separate_spelling() for name in fieldnames if name in schema
        ):
            self._spill()  # boosts, vectors, spelling: Whoosh's own path from here on
            super().add_document(**fields)
            return
        self._check_fields(schema, fieldnames)
        perdoc = self.perdocwriter
        docnum = self.docnum
        perdoc.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = self._index_value(fieldname, field, value, docnum) if field.indexed else 0
                stored = fields.get(f"_stored_{fieldname}", value)  # (a caller's override)
                perdoc.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdoc.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        if self.spill_when_full and self.full():
            self._spill()

    def full(self) -> bool:
        """Whether the buffered postings passed ``limitmb``."""
        return self._buffered > self._limit

    def _counter(self, fieldname: str, field: Any) -> TermCounter | None:
        if fieldname not in self._counters:
            self._counters[fieldname] = _term_counter(field)
        return self._counters[fieldname]

    def _terms_of(self, fieldname: str, field: Any, value: Any) -> _Terms:
        """(term, frequency, (weight, value) when not the format's plain one) of one field
        value, and its length. The last value of each field is remembered: an entry's passages
        repeat its title, tags, rel, date and flags, and each is analysed once."""
        last = self._last.get(fieldname)
        if last is not None and type(last[0]) is type(value) and last[0] == value:
            return last[1]
        counter = self._counter(fieldname, field) if isinstance(value, str) else None
        out: list[tuple[bytes, int, tuple[float, bytes] | None]] = []
        length = 0
        if counter is not None:
            for key, freq in counter(value).items():
                out.append((key, freq, None))
                length += freq
        else:
            fmt = field.format
            for tbytes, freq, weight, vbytes in field.index(value):
                wv = (weight, vbytes)
                out.append((tbytes, freq, None if wv == _plain(fmt, freq) else wv))
                length += freq
        terms = (out, length)
        if isinstance(value, _IMMUTABLE):  # (a list could change before the next document)
            self._last[fieldname] = (value, terms)
        return terms

    def _index_value(self, fieldname: str, field: Any, value: Any, docnum: int) -> int:
        """Buffer the postings of one field value; its length (0 unless scorable)."""
        terms = self._post.setdefault(fieldname, {})
        found, length = self._terms_of(fieldname, field, value)
        for key, freq, odd in found:
            arr = terms.get(key)
            if arr is None:
                arr = terms[key] = array("I")
            arr.append(docnum)
            arr.append(freq)
            if odd is not None:
                self._odd[(fieldname, key, docnum)] = odd
        self._buffered += len(found)
        if not field.scorable:
            return 0
        if length:
            self._lengths.setdefault(fieldname, {})[docnum] = byte_to_length(length_to_byte(length))
        return length

    # -- into Whoosh's pool --------------------------------------------------------------------
    def _spill(self) -> None:
        """Hand the buffered postings to Whoosh's sorting pool (which spills to disk); from
        now on this writer's segment is written on Whoosh's path."""
        self._in_pool = True
        add = self.pool.add
        odd = self._odd
        for fieldname, terms in self._post.items():
            fmt = self.schema[fieldname].format
            for tbytes, arr in terms.items():
                for i in range(0, len(arr), 2):
                    docnum, freq = arr[i], arr[i + 1]
                    weight, vbytes = odd.get((fieldname, tbytes, docnum)) or _plain(fmt, freq)
                    add((fieldname, tbytes, docnum, weight, vbytes))
        self._post.clear()
        self._odd.clear()
        self._buffered = 0

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        self._spill()  # a merge: the pool gets another segment's postings too
        super().add_postings_to_pool(reader, startdoc, docmap)

    # -- writing the segment -------------------------------------------------------------------
    def _flush_segment(self) -> None:
        if self._in_pool:
            self._spill()
            super()._flush_segment()
            return
        self.perdocwriter.close()
        fw = self.fieldwriter
        odd = self._odd
        for fieldname in sorted(self._post):
            terms = self._post[fieldname]
            if not terms:
                continue
            field = self.schema[fieldname]
            fmt = field.format
            plain: dict[int, tuple[float, bytes]] = {}
            lengths = self._lengths.get(fieldname, {})
            fw.start_field(fieldname, field)
            add = fw.add
            for tbytes in sorted(terms):
                fw.start_term(tbytes)
                arr = terms[tbytes]
                for i in range(0, len(arr), 2):
                    docnum, freq = arr[i], arr[i + 1]
                    wv = odd.get((fieldname, tbytes, docnum)) if odd else None
                    if wv is None:
                        wv = plain.get(freq)
                        if wv is None:
                            wv = plain[freq] = _plain(fmt, freq)
                    add(docnum, wv[0], wv[1], lengths.get(docnum, 0))
                fw.finish_term()
            fw.finish_field()
        fw.close()
        self._post.clear()
        self._odd.clear()
        self._buffered = 0


def usable() -> bool:
    """Whether this Whoosh has what :class:`BufferedWriter` overrides (else: SegmentWriter)."""
    return all(
        callable(getattr(SegmentWriter, name, None))
        for name in ("_flush_segment", "add_postings_to_pool", "_check_fields", "_check_state")
    )


class BufferedSubWriter(SubWriterTask):  # type: ignore[misc]
    """Whoosh's multiprocessing sub-writer, writing with :class:`BufferedWriter`. With
    ``multisegment`` (each sub-writer commits its own segments), a full buffer ends the segment
    and a new one starts: memory stays within ``limitmb`` and no posting goes to Whoosh's
    sorting pool, whose pure-Python spill and merge made a 20k-note first index grow faster than
    the notes (10k -> 20k: 3.2x the CPU). Its result is a list of segments."""

    def run(self) -> None:
        if not self.multisegment:  # (that mode reads the sub-writer's pool directly)
            super().run()
            return
        self._ix = self.storage.open_index(self.indexname)
        self.writer = self._new_writer()
        self.segments: list[Any] = []
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            self.writer.cancel()  # (segments already written are unlisted files: cleaned later)
            return
        self.segments.append(self.writer._finalize_segment())
        self.resultqueue.put((None, None, self.segments), timeout=5)

    def _new_writer(self) -> BufferedWriter:
        writer = BufferedWriter(self._ix, _lk=False, **self.kwargs)
        writer.spill_when_full = False
        return writer

    def _process_file(self, filename: str, doc_count: int) -> None:
        import pickle

        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            for _ in range(doc_count):
                code, args = pickle.load(f)
                assert code == 0
                self.writer.add_document(**args)
                if self.writer.full():
                    self.segments.append(self.writer._finalize_segment())
                    self.writer = self._new_writer()
        tempstorage.delete_file(filename)
