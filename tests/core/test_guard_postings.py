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
    searcher, _ = row["_doc"]
    assert j._index.docs_holding(("body",), {"depot"}, searcher) == {"depot": {row["_doc"]}}
    write(root, "2026-01-06.md", "Back at the Depot.\n")
    j.reindex()
    assert j._index.docs_holding(("body",), {"depot"}, searcher) is None
    assert [h.entry.rel for h in j.search("depot")]  # and a search still works
