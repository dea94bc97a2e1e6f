"""The held-out retrieval questions (issue 10) are well-formed.

They are for reporting only: this file checks their shape and that every answer really is in
the sample vault, and deliberately asserts no recall floor (a floor would invite tuning on
them). The numbers live in ``tests/data/heldout/README.md``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from journal_me.memory.evaluate import answer_lines, load_questions
from journal_me.vault import Vault

REPO = Path(__file__).resolve().parents[2]
VAULT = REPO / "vault"
HELDOUT = REPO / "tests" / "data" / "heldout" / "questions_heldout.json"
KINDS = {"fact", "vocab_gap", "multi_hop", "temporal", "person"}


def _ws(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text.lower()))


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    data = json.loads(HELDOUT.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_heldout_is_not_in_the_tuning_glob() -> None:
    tuning = sorted((REPO / "tests" / "data").glob("questions_*.json"))
    assert HELDOUT not in tuning
    assert tuning, "the tuning set moved"


def test_heldout_shape_ids_and_counts(raw: list[dict[str, Any]]) -> None:
    assert len(raw) >= 60
    ids = [q["id"] for q in raw]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"h-\d{2,}", i) for i in ids)
    for q in raw:
        assert q["question"].strip() and q["answers"], q["id"]
        assert q["kind"] in KINDS, q["id"]
        assert all(set(a) == {"path", "text"} and a["text"].strip() for a in q["answers"]), q["id"]
    kinds = Counter(q["kind"] for q in raw)
    assert set(kinds) == KINDS
    assert all(n >= 10 for n in kinds.values()), kinds
    assert kinds["vocab_gap"] >= 15 and kinds["multi_hop"] >= 15, kinds


def test_every_answer_is_verbatim_in_its_file(raw: list[dict[str, Any]]) -> None:
    for q in raw:
        for a in q["answers"]:
            path = VAULT / a["path"]
            assert path.is_file(), (q["id"], a["path"])
            assert _ws(a["text"]) in _ws(path.read_text(encoding="utf-8")), (q["id"], a["text"])


def test_multi_hop_needs_every_passage_from_two_entries(raw: list[dict[str, Any]]) -> None:
    for q in raw:
        if q["kind"] != "multi_hop":
            continue
        assert q.get("needs") == "all" and q.get("hop"), q["id"]
        assert len({a["path"] for a in q["answers"]}) >= 2, q["id"]


def test_vocab_gap_questions_avoid_the_entrys_words(raw: list[dict[str, Any]]) -> None:
    """Each vocab_gap question names the entry's key words it does not use: they are in the
    answering file and not among the question's words."""
    for q in raw:
        if q["kind"] != "vocab_gap":
            continue
        avoids = q.get("avoids")
        assert avoids, q["id"]
        files = " ".join((VAULT / a["path"]).read_text(encoding="utf-8").lower() for a in q["answers"])
        question = _words(q["question"])
        for word in avoids:
            assert word.lower() in files, (q["id"], word)
            assert word.lower() not in question, (q["id"], word)


def test_heldout_loads_for_the_evaluator(raw: list[dict[str, Any]]) -> None:
    questions = load_questions([HELDOUT])
    assert len(questions) == len(raw)
    assert {q.needs for q in questions if q.kind == "multi_hop"} == {"all"}
    for q in questions:
        for a in q.answers:
            # the evaluator credits an answer through the passage whose lines hold it: an answer
            # in front matter, or split across two passages, could never be found
            start, end = answer_lines(VAULT, a)
            entry = Vault(VAULT).read(a.path)
            spans = [(p.line_start, p.line_end) for p in entry.passages]
            assert any(s <= start and end <= e for s, e in spans), (q.id, a.path, start, end, spans)
