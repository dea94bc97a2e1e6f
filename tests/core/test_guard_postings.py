"""The ranking guards (rarest term, exact tokens) learn which wanted terms a candidate passage
holds from the index's postings of those few terms, not by reading and analysing up to 60
passages' text (retrieval.Retriever._held): the answer must be the text's, question by
question, on the sample vault and its labelled questions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.memory import retrieval as R

ROOT = Path(__file__).resolve().parents[2]


def _questions() -> list[str]:
    out: list[str] = []
    for path in sorted([*(ROOT / "tests" / "data").glob("questions_*.json")]):
        data = json.loads(path.read_text(encoding="utf-8"))
        out += [q["question"] for q in (data if isinstance(data, list) else data["questions"])]
    return out


def test_postings_say_what_the_text_says(sample_journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    real = R.Retriever._held
    compared: list[int] = []

    def both(
        self: R.Retriever,
        passages: Sequence[R.Hit],
        wanted: set[str],
        unread: R._Unread | None,
        docs: R._Docs | None,
    ) -> list[set[str]]:
        assert docs is not None and all((h.rel, h.line_start, h.line_end) in docs for h in passages)
        fast = real(self, passages, wanted, unread, docs)
        from_text = real(self, passages, wanted, dict(unread or {}), None)
        assert fast == from_text, wanted
        compared.append(len(passages))
        return fast

    monkeypatch.setattr(R.Retriever, "_held", both)
    questions = _questions()
    assert len(questions) >= 80
    for q in questions:
        sample_journal.search(q, limit=10)
    assert len(compared) >= 20 and sum(compared) >= 500  # the guards ran, on many passages


def test_rows_of_an_earlier_searcher_get_no_postings(
    tmp_path: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    """A commit between a search and its guards (the TUI's watcher saving): the postings
    would name another searcher's documents, so none are given and the guards read texts."""
    from journal_me.memory.query import AnyOf, Term

    root = tmp_path / "vault"
    write(root, "2026-01-05.md", "Bouldering with Dev at the Depot.\n")
    j = open_journal(root, reindex=True)
    (row,) = j._index.search(AnyOf((Term("body", "depot"),)), limit=5)
    assert j._index.docs_holding(("body",), {"depot"}, [row["_doc"]]) == {"depot": {row["_doc"]}}
    write(root, "2026-01-06.md", "Back at the Depot.\n")
    j.reindex()
    assert j._index.docs_holding(("body",), {"depot"}, [row["_doc"]]) is None
    assert [h.entry.rel for h in j.search("depot")]  # and a search still works


@pytest.mark.parametrize("numpy_postings", [True, False], ids=["numpy", "whoosh"])
def test_postings_of_a_frequent_term_say_which_candidates_hold_it(
    tmp_path: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    numpy_postings: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A word in hundreds of passages (postings over many blocks, in two segments, one of its
    documents deleted): exactly the candidates that hold it, whatever their order; read from
    the numpy scorer's postings (kept from the search), or skipped through by Whoosh's own
    matcher when the index is too small for the numpy scorer."""
    from journal_me.memory import compact_codec
    from journal_me.memory.query import AnyOf, Term

    monkeypatch.setattr(compact_codec, "POSTINGS_BLOCK", 16)  # (a test-sized vault's postings)
    root = tmp_path / "vault"
    for i in range(420):
        word = "teapot" if i % 3 else "kettle"
        write(root, f"2025-{1 + i // 28:02d}-{1 + i % 28:02d}.md", f"Entry {i}: the {word} again.\n")
    j = open_journal(root, reindex=True)
    for i in range(420, 560):
        write(root, f"2026-{1 + (i - 420) // 28:02d}-{1 + i % 28:02d}.md", f"Later {i}: the teapot.\n")
    (root / "2025-01-04.md").unlink()  # held "teapot": a deleted posting
    j.reindex()
    j._index.fast_path_min_docs = 0 if numpy_postings else 10**9
    (teapot, kettle) = (R.analyse(w)[0] for w in ("teapot", "kettle"))
    rows = j._index.search(AnyOf((Term("body", teapot), Term("body", kettle))), limit=200)
    assert len(rows) == 200
    docs = [r["_doc"] for r in rows]
    holding = j._index.docs_holding(("body", "title"), {teapot, kettle, "nowhere"}, docs)
    assert holding is not None
    with_teapot = {r["_doc"] for r in rows if "teapot" in (root / r["rel"]).read_text()}
    assert holding[teapot] == with_teapot and 0 < len(with_teapot) < 200
    assert holding[kettle] == set(docs) - with_teapot
    assert (j._index._vector(j._index.searcher()) is not None) == numpy_postings
    (leaf, _), *_ = j._index.searcher().reader().leaf_readers()
    m = leaf.postings("body", teapot)
    m = getattr(m, "child", m)  # (under the deletions' filter)
    blocks = 0
    while m.is_active():
        blocks += 1
        m._next_block()
    assert blocks >= 4  # skipped through block by block
    assert holding["nowhere"] == set()
