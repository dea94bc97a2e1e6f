"""What the index stores per entry beyond its text: the fence (``private``), ``undated`` and
``conflict_of``; and what search does with them (date filters, bridge/training views).

Entries are parsed from real bytes and written to a real Whoosh index on disk; the flags the
vault sets (undated, conflict copy) are set on the parsed entries directly, so these tests
hold whatever file names the vault recognises."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from whoosh import query as Q

from journal_me.api import Journal
from journal_me.memory.graph import EntityGraph
from journal_me.memory.index import SCHEMA_VERSION, IndexedEntry, PassageIndex, to_whoosh
from journal_me.memory.retrieval import Retriever
from journal_me.memory.vectorsearch import SegmentArrays, VectorSearcher
from journal_me.vault import Entry, parse_entry

D = dt.date
TODAY = D(2026, 6, 15)


def _entry(rel: str, text: str, **flags: object) -> Entry:
    e = parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)
    return dataclasses.replace(e, **flags) if flags else e  # type: ignore[arg-type]


def _item(e: Entry, fenced: bool = False) -> IndexedEntry:
    return IndexedEntry(e, (), [() for _ in e.passages], fenced=fenced)


UNDATED_DAY = D(2026, 6, 14)  # its file time: inside "last week", "in June", "after May"
ENTRIES = [
    _entry("2026-05-03.md", "Sourdough starter finally bubbling. Baked a loaf.\n"),
    _entry("2026-06-12.md", "Sourdough loaf number two, better crumb.\n"),
    _entry("recipes/sourdough.md", "Sourdough: 500 g flour, 350 g water, 100 g starter.\n"),
    _entry("2026-06-10.md", "Kayaking on the loch with Jo. Cold water, bright sun.\n"),
    _entry(
        "2026-06-10.conflict-20260611-080000.md",
        "Kayaking on the loch with Jo. Cold water, bright sun, and a seal.\n",
    ),
    _entry("2026-06-09.md", "Sticky: the landlord's new lock code is 4471.\n"),
]
FLAGS: dict[str, dict[str, object]] = {
    "recipes/sourdough.md": {"undated": True, "date": UNDATED_DAY, "kind": "note"},
    "2026-06-10.conflict-20260611-080000.md": {"conflict_of": "2026-06-10.md"},
}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PassageIndex]:
    ix = PassageIndex(tmp_path / "index")
    items = []
    for e in ENTRIES:
        e = dataclasses.replace(e, **FLAGS.get(e.rel, {}))  # type: ignore[arg-type]
        items.append(_item(e, fenced=e.rel == "2026-06-09.md"))
    ix.write(items)
    yield ix
    ix.close()


@pytest.fixture
def retriever(index: PassageIndex, tmp_path: Path) -> Retriever:
    return Retriever(index, EntityGraph(), tmp_path)


def _entry_docs(index: PassageIndex) -> dict[str, dict[str, object]]:
    return {d["rel"]: d for d in index.searcher().documents(kind="entry")}


def test_schema_version_was_bumped() -> None:
    assert int(SCHEMA_VERSION) >= 10


def test_index_stores_undated_conflict_of_and_the_fence(index: PassageIndex) -> None:
    docs = _entry_docs(index)
    note, copy = docs["recipes/sourdough.md"], docs["2026-06-10.conflict-20260611-080000.md"]
    assert note["undated"] is True and note["conflict_of"] == ""
    assert copy["conflict_of"] == "2026-06-10.md" and copy["undated"] is False
    # ``private`` is the fence: a private entry, a conflict copy, or fenced by the caller
    assert copy["private"] is True
    assert docs["2026-06-09.md"]["private"] is True
    assert docs["2026-06-10.md"]["private"] is False
    # a passage stores only its own fields; the index reads the entry's back for it, and
    # indexes the fence and the flags on every passage (what search filters on)
    s = index.searcher()
    for rel, doc in docs.items():
        for d in index.passages_of(rel):
            assert d["private"] == doc["private"]
            assert d["undated"] == doc["undated"]
            assert d["conflict_of"] == doc["conflict_of"]
        fenced = {d["rel"] for d in s.documents(kind="passage", private=True)}
        assert (rel in fenced) == (bool(doc["private"]) and bool(index.passages_of(rel)))


def test_indexed_entry_private_is_the_fence() -> None:
    plain = _entry("a.md", "text\n")
    assert not _item(plain).private
    assert _item(plain, fenced=True).private
    assert _item(dataclasses.replace(plain, private=True)).private
    assert _item(dataclasses.replace(plain, conflict_of="b.md")).private


def _rels(hits: list) -> set[str]:  # type: ignore[type-arg]
    return {h.entry.rel for h in hits}


def test_plain_search_finds_undated_notes(retriever: Retriever) -> None:
    hits = retriever.search("sourdough flour starter", today=TODAY)
    assert "recipes/sourdough.md" in _rels(hits)
    note = next(h for h in hits if h.entry.rel == "recipes/sourdough.md")
    assert note.entry.undated


@pytest.mark.parametrize(
    "question, kwargs",
    [
        ("sourdough starter", {"after": D(2026, 6, 1)}),
        ("sourdough starter", {"before": D(2026, 6, 30)}),
        ("sourdough starter", {"after": D(2026, 6, 1), "before": D(2026, 6, 30)}),
        ("sourdough starter in June", {}),
        ("sourdough starter last week", {}),
        ("sourdough this month", {}),
        ("what happened in June?", {}),
    ],
)
def test_date_filters_leave_undated_notes_out(retriever: Retriever, question: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    hits = retriever.search(question, today=TODAY, limit=20, **kwargs)
    assert hits, question
    assert "recipes/sourdough.md" not in _rels(hits), question


def test_undated_note_is_never_an_event_anchor(retriever: Retriever, index: PassageIndex) -> None:
    flt = retriever._filter(None, None, (), True, notes=False)
    rows = index.search(Q.Or([Q.Term("body", "flour")]), limit=5, filter=flt)
    assert rows == []


def test_conflict_copy_is_fenced_from_bridge_and_training(retriever: Retriever) -> None:
    mine = _rels(retriever.search("kayaking seal loch", today=TODAY))
    assert {"2026-06-10.md", "2026-06-10.conflict-20260611-080000.md"} <= mine
    public = retriever.search("kayaking seal loch", today=TODAY, include_private=False)
    assert _rels(public) == {"2026-06-10.md"}
    assert retriever.bm25("seal", include_private=False) == []
    copy = next(
        h
        for h in retriever.search("seal", today=TODAY)
        if h.entry.rel == "2026-06-10.conflict-20260611-080000.md"
    )
    assert copy.entry.conflict_of == "2026-06-10.md" and copy.entry.private


def test_fenced_entry_stays_out_of_public_search(retriever: Retriever) -> None:
    assert "2026-06-09.md" in _rels(retriever.search("landlord lock code", today=TODAY))
    assert "2026-06-09.md" not in _rels(
        retriever.search("landlord lock code", today=TODAY, include_private=False)
    )


def test_numpy_masks_match_whoosh_on_the_new_fields(index: PassageIndex) -> None:
    s = index.searcher()
    vs = VectorSearcher(s, SegmentArrays())
    for flt in [
        to_whoosh(Retriever._filter(D(2026, 6, 1), None, (), False)),
        to_whoosh(Retriever._filter(None, D(2026, 6, 30), (), True)),
        to_whoosh(Retriever._filter(None, None, (), False, notes=False)),
        Q.Term("undated", True),
        Q.Not(Q.Term("private", True)),
    ]:
        got = set(vs.docs(flt).nonzero()[0].tolist())
        want = set(s.docs_for_query(flt))
        assert got == want, flt


# -- the same through the vault and the Journal: real files, their names decide ------------
def test_journal_undated_notes_and_conflict_copies(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
) -> None:
    june_14 = dt.datetime(2026, 6, 14, 12, 0).timestamp()
    write(vault, "2026-06-12.md", "Sourdough loaf number two, better crumb.\n")
    write(vault, "recipes/sourdough.md", "Sourdough: 500 g flour, 350 g water, starter.\n", mtime=june_14)
    write(vault, "2026-06-10.md", "Kayaking on the loch with Jo.\n")
    write(vault, "2026-06-10.conflict-20260611-080000.md", "Kayaking on the loch with Jo, and a seal.\n")
    journal = open_journal(vault)
    journal.reindex()
    summaries = {e.rel: e for e in journal.entries()}
    assert summaries["recipes/sourdough.md"].undated
    assert summaries["2026-06-10.conflict-20260611-080000.md"].conflict_of == "2026-06-10.md"
    assert summaries["2026-06-10.conflict-20260611-080000.md"].private  # fenced

    assert "recipes/sourdough.md" in _rels(journal.search("sourdough flour", today=TODAY))
    for kwargs in ({"after": D(2026, 6, 1)}, {"before": D(2026, 6, 30)}):
        hits = journal.search("sourdough flour", today=TODAY, **kwargs)  # type: ignore[arg-type]
        assert hits and "recipes/sourdough.md" not in _rels(hits), kwargs
    hits = journal.search("sourdough flour in June", today=TODAY)
    assert hits and "recipes/sourdough.md" not in _rels(hits)

    copy = "2026-06-10.conflict-20260611-080000.md"
    assert copy in _rels(journal.search("kayaking seal", today=TODAY))
    assert copy not in _rels(journal.search("kayaking seal", today=TODAY, include_private=False))
