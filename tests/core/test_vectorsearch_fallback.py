"""The numpy scorer never decides alone: with Whoosh internals missing, or a scorer that
disagrees with Whoosh, the index searches with Whoosh's own ``Searcher.search`` and says why.

Each test opens a second :class:`PassageIndex` on the sample journal's index folder, so its
fast path starts unchecked, with Whoosh patched the way another Whoosh version could be.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import numpy as np
import pytest
from whoosh import query as Q
from whoosh.idsets import BitSet

from journal_me.api import Journal
from journal_me.memory import vectorsearch
from journal_me.memory.evaluate import load_questions
from journal_me.memory.index import PassageIndex, to_whoosh
from journal_me.memory.retrieval import QueryPlan, Retriever
from journal_me.memory.vectorsearch import VectorSearcher

from .conftest import QUESTION_FILES


@pytest.fixture
def fresh_index(sample_journal: Journal) -> Iterator[PassageIndex]:
    index = PassageIndex(sample_journal._index.directory)
    index.fast_path_min_docs = 0  # the sample is below the size that turns the numpy scorer on
    yield index
    index.close()


def queries(journal: Journal, n: int = 12) -> list[tuple[Q.Query, Q.Query]]:
    r: Retriever = journal._retriever
    out = []
    for q in load_questions(QUESTION_FILES)[:n]:
        query, _ = r._build_query(q.question, q.question, QueryPlan())
        assert query is not None
        out.append((to_whoosh(query), to_whoosh(r._filter(None, None, (), include_private=True))))
    out.append((out[0][0], to_whoosh(Retriever._filter(None, None, ("running",), include_private=False))))
    return out


def whoosh_top(index: PassageIndex, query: Q.Query, limit: int, flt: Q.Query) -> list[tuple[str, float]]:
    s = index.searcher()
    allow = BitSet(s.docs_for_query(flt), size=s.doc_count_all())
    return [(hit["id"], float(hit.score)) for hit in s.search(query, limit=limit, filter=allow)]


def index_top(index: PassageIndex, query: Q.Query, limit: int, flt: Q.Query) -> list[tuple[str, float]]:
    return [(row["id"], row["score"]) for row in index.search(query, limit=limit, filter=flt)]


def assert_same(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert want
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6)


def test_the_fast_path_passes_its_self_check_on_the_sample(fresh_index: PassageIndex) -> None:
    on, why = fresh_index.fast_path_status()
    assert on, why
    assert "self-check passed" in why


# Internals only the fast path reads, so that Whoosh's own search still works without them
# (Whoosh imported these names into its own modules; the fast path looks them up where they
# live, as it would have to in another Whoosh version).
MISSING = [
    ("whoosh.codec.whoosh3", "W3PerDocReader"),  # the codec's per-document reader class
    ("whoosh.util.numeric", "byte_to_length"),  # decoding of the field-length byte
    ("whoosh.util.times", "datetime_to_long"),  # dates as Whoosh stores them
]


@pytest.mark.parametrize(("module", "attribute"), MISSING, ids=[f"{m}.{a}" for m, a in MISSING])
def test_a_missing_whoosh_attribute_falls_back_to_whoosh_with_the_same_results(
    sample_journal: Journal,
    fresh_index: PassageIndex,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    attribute: str,
) -> None:
    cases = queries(sample_journal)
    want = [whoosh_top(fresh_index, q, 60, f) for q, f in cases]  # (opens the searcher)
    monkeypatch.delattr(importlib.import_module(module), attribute)
    on, why = fresh_index.fast_path_status()
    assert not on
    assert why == f"{module} has no {attribute}" or why.startswith(f"{module} has no {attribute}.")
    for (q, f), w in zip(cases, want, strict=True):
        assert_same(index_top(fresh_index, q, 60, f), w)


def test_an_internal_that_breaks_mid_query_turns_the_fast_path_off(
    sample_journal: Journal, fresh_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The self-check passed, then a query reaches an internal that fails: this query and the
    next are answered by Whoosh, and the status says what happened."""
    cases = queries(sample_journal)
    want = [whoosh_top(fresh_index, q, 60, f) for q, f in cases]
    assert fresh_index.fast_path_status()[0]

    def broken(self: VectorSearcher, field: str) -> np.ndarray:
        raise AttributeError("'W3PerDocReader' object has no attribute '_cached_reader'")

    monkeypatch.setattr(VectorSearcher, "lengths", broken)
    for (q, f), w in zip(cases, want, strict=True):
        assert_same(index_top(fresh_index, q, 60, f), w)
    on, why = fresh_index.fast_path_status()
    assert not on and "failed on a query" in why and "_cached_reader" in why


def test_a_scorer_that_disagrees_with_whoosh_is_disabled_by_the_self_check(
    sample_journal: Journal, fresh_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = queries(sample_journal)
    want = [whoosh_top(fresh_index, q, 60, f) for q, f in cases]
    real = VectorSearcher.scores

    def slightly_wrong(self: VectorSearcher, q: Q.Query) -> tuple[np.ndarray, np.ndarray]:
        scores, matched = real(self, q)
        return scores * 1.001, matched

    monkeypatch.setattr(VectorSearcher, "scores", slightly_wrong)
    on, why = fresh_index.fast_path_status()
    assert not on
    assert "self-check" in why and "Whoosh scored" in why
    for (q, f), w in zip(cases, want, strict=True):
        assert_same(index_top(fresh_index, q, 60, f), w)  # Whoosh's scores, not the wrong ones


def test_a_scorer_that_finds_other_documents_is_disabled(
    fresh_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = VectorSearcher.top

    def drops_the_best(
        self: VectorSearcher, q: Q.Query, limit: int, allow: object = None
    ) -> list[tuple[int, float]]:
        return real(self, q, limit, allow)[1:]  # type: ignore[arg-type]

    monkeypatch.setattr(VectorSearcher, "top", drops_the_best)
    on, why = fresh_index.fast_path_status()
    assert not on and "other documents" in why


def test_an_unimportable_codec_module_turns_the_fast_path_off(
    fresh_index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        vectorsearch._MODULES,
        "whoosh.codec.whoosh3",
        (None, "cannot import whoosh.codec.whoosh3 (ModuleNotFoundError: gone)"),
    )
    on, why = fresh_index.fast_path_status()
    assert not on and "cannot import whoosh.codec.whoosh3" in why
    rows = fresh_index.search(Q.Or([Q.Term("body", "run")]), limit=5, filter=Q.Term("kind", "passage"))
    assert rows and all(r["kind"] == "passage" for r in rows)


def test_length_bytes_in_one_read_equal_the_column_walk(sample_journal: Journal) -> None:
    """The one-read path for the field-length column gives exactly the bytes Whoosh's own
    iterator gives, for every segment and field."""
    from journal_me.memory.vectorsearch import _length_bytes

    s = sample_journal._index.searcher()
    readers = [r for r, _ in s.leaf_readers()] if not s.is_atomic() else [s.reader()]
    checked = 0
    for reader in readers:
        perdoc = reader._perdoc
        for field in ("body", "title"):
            column = perdoc._cached_reader(f"_{field}_len", vectorsearch._w3.LENGTHS_COLUMN)
            if column is None:
                continue
            size = reader.doc_count_all()
            walked = np.fromiter(column, dtype=np.uint8, count=size)
            assert np.array_equal(_length_bytes(column, size), walked)
            checked += 1
    assert checked
