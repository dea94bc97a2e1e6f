"""The numpy evaluation of queries (journal_me.memory.vectorsearch) against Whoosh's own search.

The index answers the retriever's queries with numpy over Whoosh's postings; these tests run
the same queries through ``whoosh.searching.Searcher.search`` on the same index and demand the
same hits in the same order with the same scores — on the sample vault (every labelled
question, with and without filters), on random term sets (hypothesis), and on an index with
several segments and deleted documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as Q
from whoosh.idsets import BitSet

from journal_me.api import Journal
from journal_me.memory import vectorsearch
from journal_me.memory.evaluate import SAMPLE_TODAY, load_questions
from journal_me.memory.index import PassageIndex, to_whoosh
from journal_me.memory.retrieval import QueryPlan, Retriever
from journal_me.memory.vectorsearch import SegmentArrays, Unsupported, VectorSearcher

from .conftest import QUESTION_FILES

HELDOUT_FILES = sorted((Path(__file__).parents[1] / "data" / "heldout").glob("questions_*.json"))

D = dt.date


def whoosh_top(
    index: PassageIndex, query: Q.Query, limit: int, flt: Q.Query | None
) -> list[tuple[str, float]]:
    """The reference: Whoosh's own matcher tree and collector."""
    s = index.searcher()
    allow = None
    if flt is not None:
        allow = BitSet(s.docs_for_query(flt), size=s.doc_count_all())
        if not allow:
            return []
    return [(hit["id"], float(hit.score)) for hit in s.search(query, limit=limit, filter=allow)]


def vector_top(
    index: PassageIndex, query: Q.Query, limit: int, flt: Q.Query | None
) -> list[tuple[str, float]]:
    return [(row["id"], row["score"]) for row in index.search(query, limit=limit, filter=flt)]


def assert_same(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in want]
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert a == pytest.approx(b, rel=1e-6)


def retriever_queries(journal: Journal, question: str) -> tuple[Q.Query, Q.Query]:
    """The text query and passage filter the retriever builds for a question."""
    r: Retriever = journal._retriever
    query, _ = r._build_query(question, question, QueryPlan())
    assert query is not None
    return to_whoosh(query), to_whoosh(r._filter(None, None, (), include_private=True))


FILTERS: list[tuple[str, Callable[[], Q.Query]]] = [
    ("passages", lambda: to_whoosh(Retriever._filter(None, None, (), True))),
    ("no private", lambda: to_whoosh(Retriever._filter(None, None, (), False))),
    ("2026 only", lambda: to_whoosh(Retriever._filter(D(2026, 1, 1), D(2026, 12, 31), (), True))),
    ("before spring", lambda: to_whoosh(Retriever._filter(None, D(2026, 3, 31), (), False))),
    ("tag running", lambda: to_whoosh(Retriever._filter(None, None, ("running",), True))),
    ("tag work (nested)", lambda: to_whoosh(Retriever._filter(None, None, ("#work",), True))),
    ("entries", lambda: Q.And([Q.Term("kind", "entry")])),
    ("passages, no notes", lambda: to_whoosh(Retriever._filter(None, None, (), True, notes=False))),
    ("empty period", lambda: to_whoosh(Retriever._filter(D(1990, 1, 1), D(1990, 2, 1), (), True))),
]


def test_every_labelled_question_gives_whoosh_s_hits_and_scores(sample_journal: Journal) -> None:
    questions = load_questions(QUESTION_FILES)
    assert len(questions) >= 60
    compared = 0
    for q in questions:
        query, flt = retriever_queries(sample_journal, q.question)
        want = whoosh_top(sample_journal._index, query, 60, flt)
        assert_same(vector_top(sample_journal._index, query, 60, flt), want)
        compared += len(want)
    assert compared > 60 * len(questions) * 0.9  # nearly every question fills its 60 candidates


@pytest.mark.parametrize(("name", "make_filter"), FILTERS, ids=[n for n, _ in FILTERS])
def test_filters_select_what_whoosh_selects(
    sample_journal: Journal, name: str, make_filter: Callable[[], Q.Query]
) -> None:
    query, _ = retriever_queries(sample_journal, "what did Sam say about running and work at Halden?")
    flt = make_filter()
    want = whoosh_top(sample_journal._index, query, 40, flt)
    assert_same(vector_top(sample_journal._index, query, 40, flt), want)
    if name == "empty period":
        assert want == []
    else:
        assert want, f"{name}: the comparison needs hits"
    # the mask itself, not just the top 40
    s = sample_journal._index.searcher()
    vs = VectorSearcher(s, SegmentArrays())
    assert set(vs.docs(flt).nonzero()[0].tolist()) == set(s.docs_for_query(flt))


def _vocabulary(journal: Journal) -> list[str]:
    reader = journal._index.searcher().reader()
    words = [t.decode() for t in reader.lexicon("body")]
    return words[::7]  # a spread of rare and common words, keeps the strategy small


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_term_sets_score_like_whoosh(sample_journal: Journal, data: st.DataObject) -> None:
    words = _vocabulary(sample_journal)
    picked = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=8))
    fields = st.sampled_from(["body", "title", "tags", "entities"])
    boosts = st.sampled_from([1.0, 0.25, 0.4, 2.0, 3.0])
    clauses: list[Q.Query] = [Q.Term(data.draw(fields), w, boost=data.draw(boosts)) for w in picked]
    query = Q.Or(clauses)
    limit = data.draw(st.sampled_from([1, 5, 60, 500]))
    flt = data.draw(st.sampled_from([None] + [f() for _, f in FILTERS]))
    assert_same(
        vector_top(sample_journal._index, query, limit, flt),
        whoosh_top(sample_journal._index, query, limit, flt),
    )


def test_unsupported_queries_fall_back_to_whoosh(sample_journal: Journal) -> None:
    s = sample_journal._index.searcher()
    vs = VectorSearcher(s, SegmentArrays())
    odd = Q.Or([Q.Term("body", "run"), Q.Wildcard("body", "marath*")])
    with pytest.raises(Unsupported):
        vs.top(odd, 10)
    flt = to_whoosh(Retriever._filter(None, None, (), True))
    want = whoosh_top(sample_journal._index, odd, 10, flt)
    assert want
    assert_same(vector_top(sample_journal._index, odd, 10, flt), want)


def test_several_segments_and_deleted_documents(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    for day in range(1, 29):
        write(
            vault, f"2026-02-{day:02d}.md", f"Day {day}. Ran by the canal with Priya; the heron was there.\n"
        )
    journal = open_journal(vault)
    journal.reindex()
    # each save commits a new segment and marks the old documents of that entry deleted
    for day in (3, 9, 27):
        path = vault / f"2026-02-{day:02d}.md"
        write(vault, path.name, path.read_text() + "\nThe heron again, and a kingfisher.\n")
        journal.update_paths([path.name])
    s = journal._index.searcher()
    leaves = list(s.reader().leaf_readers())
    assert len(leaves) > 1 and any(r.has_deletions() for r, _ in leaves)
    flt = to_whoosh(Retriever._filter(None, None, (), True))
    for words in (["heron"], ["kingfisher", "canal"], ["priya", "heron", "ran"]):
        query = Q.Or([Q.Term("body", w) for w in words] + [Q.Term("entities", "priya", boost=0.5)])
        for f in (flt, None):
            want = whoosh_top(journal._index, query, 50, f)
            assert want
            assert_same(vector_top(journal._index, query, 50, f), want)
    # deleted documents are never returned: 28 entries, one passage each, with or without filter
    # (the old versions of the three saved passages are still in the postings, marked deleted)
    for f in (flt, None):
        hits = journal._index.search(Q.Or([Q.Term("body", "heron")]), limit=100, filter=f)
        assert len(hits) == 28 == len({h["rel"] for h in hits})


def test_search_through_the_api_is_unchanged_on_the_sample(
    sample_journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every labelled question (tuning and held-out), through the whole retriever: the same
    hits, lines and scores with the numpy scorer as with Whoosh alone."""
    from journal_me.memory.vectorsearch import FastPath

    questions = [q.question for q in load_questions(QUESTION_FILES + HELDOUT_FILES)]
    assert len(questions) > 100
    # the sample is below the size where the index turns the numpy scorer on: turn it on here
    monkeypatch.setattr(sample_journal._index, "_fast", None)
    monkeypatch.setattr(sample_journal._index, "fast_path_min_docs", 0)

    def answers() -> list[list[tuple[str, int, float]]]:
        return [
            [(h.entry.rel, h.line_start, h.score) for h in sample_journal.search(q, today=SAMPLE_TODAY)]
            for q in questions
        ]

    fast = answers()
    assert sample_journal._index.fast_path_status()[0]
    whoosh_only = FastPath()
    whoosh_only.disable("this test: Whoosh alone")
    monkeypatch.setattr(sample_journal._index, "_fast", whoosh_only)
    slow = answers()
    assert sum(map(len, fast)) > 500
    for q, got, want in zip(questions, fast, slow, strict=True):
        assert [(r, line) for r, line, _ in got] == [(r, line) for r, line, _ in want], q
        assert [s for _, _, s in got] == pytest.approx([s for _, _, s in want], rel=1e-6), q


def test_posting_blocks_it_cannot_read_are_walked_through_the_matcher(
    sample_journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another Whoosh version may lay its blocks out differently: the public matcher walk
    then gives the same answers, only slower."""
    query, flt = retriever_queries(sample_journal, "when did Sam say the knee would be fine for running?")
    want = whoosh_top(sample_journal._index, query, 60, flt)
    calls: list[int] = []

    def changed_internals(m: object) -> Iterator[tuple[object, object]]:
        calls.append(1)
        raise AttributeError("_data")
        yield  # a generator, like the real one

    monkeypatch.setattr(vectorsearch, "_block_arrays", changed_internals)
    s = sample_journal._index.searcher()
    vs = VectorSearcher(s, SegmentArrays())
    got = [(s.stored_fields(d)["id"], score) for d, score in vs.top(query, 60, vs.docs(flt))]
    assert calls  # the block path was tried
    assert_same(got, want)
