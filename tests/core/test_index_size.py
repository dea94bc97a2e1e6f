"""What the index spends per document: a date is one term (Whoosh's DATETIME default wrote
8 tiers per value, 10% of all postings on real notes), and date ranges still find the same
documents through Whoosh's own search and the numpy path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from whoosh import query as Q

from journal_me.memory.index import IndexedEntry, PassageIndex
from journal_me.vault import parse_entry


def _index(tmp_path: Path) -> PassageIndex:
    ix = PassageIndex(tmp_path / "ix")
    items = []
    for i in range(40):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=9 * i)
        rel = f"{day.isoformat()}.md"
        e = parse_entry(rel, f"Walked to the lighthouse, day {i}.\n".encode(), path=Path("/v") / rel, mtime=0)
        items.append(IndexedEntry(entry=e, entities=[], passage_entities=[[]] * len(e.passages)))
    ix.write(items)
    return ix


def test_a_date_is_one_term(tmp_path: Path) -> None:
    ix = _index(tmp_path)
    reader = ix.searcher().reader()
    assert len(list(reader.lexicon("date"))) == 40  # one per distinct day, no tiers
    ix.close()


def test_date_ranges_agree(tmp_path: Path) -> None:
    ix = _index(tmp_path)
    s = ix.searcher()
    rng = Q.DateRange("date", dt.datetime(2024, 3, 1), dt.datetime(2024, 6, 30, 23, 59))
    whoosh = {s.stored_fields(n)["rel"] for n in s.docs_for_query(rng)}
    expected = {
        f"{d.isoformat()}.md"
        for d in (dt.date(2024, 1, 1) + dt.timedelta(days=9 * i) for i in range(40))
        if dt.date(2024, 3, 1) <= d <= dt.date(2024, 6, 30)
    }
    assert whoosh == expected and len(expected) == 14
    numpy_hits = ix.search(Q.Term("body", "lighthous"), limit=100, filter=rng)
    assert {h["rel"] for h in numpy_hits} == expected
    ix.close()
