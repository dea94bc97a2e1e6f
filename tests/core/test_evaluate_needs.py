"""How a question's answers combine into its score: each (share), all (multi-hop), any."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from journal_me.memory.evaluate import evaluate, load_questions
from journal_me.memory.retrieval import EntryRef, Hit


def _vault(tmp_path: Path) -> Path:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "a.md").write_text("first line\nthe heron stood on the lock gate\n", encoding="utf-8")
    (vault / "b.md").write_text("Bev asked for custard creams\n", encoding="utf-8")
    return vault


def _questions(tmp_path: Path, needs: str | None) -> Path:
    raw: dict[str, object] = {
        "id": "q1",
        "question": "?",
        "kind": "multi_hop",
        "answers": [{"path": "a.md", "text": "the heron stood"}, {"path": "b.md", "text": "custard creams"}],
    }
    if needs is not None:
        raw["needs"] = needs
    path = tmp_path / "q.json"
    path.write_text(json.dumps([raw]), encoding="utf-8")
    return path


def _only_a(vault: Path) -> list[Hit]:
    ref = EntryRef(rel="a.md", path=vault / "a.md", date=dt.date(2026, 1, 1), title="a")
    return [Hit(entry=ref, passage="the heron stood on the lock gate", line_start=2, line_end=2, score=1.0)]


@pytest.mark.parametrize(("needs", "expected"), [(None, 0.5), ("each", 0.5), ("all", 0.0), ("any", 1.0)])
def test_needs_decides_the_score_when_one_of_two_answers_is_found(
    tmp_path: Path, needs: str | None, expected: float
) -> None:
    vault = _vault(tmp_path)
    questions = load_questions([_questions(tmp_path, needs)])
    result = evaluate("t", lambda _q: _only_a(vault), questions, vault)
    assert result.per_question["q1"] == expected
    assert result.by_kind["multi_hop"] == expected


def test_unknown_needs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs"):
        load_questions([_questions(tmp_path, "most")])
