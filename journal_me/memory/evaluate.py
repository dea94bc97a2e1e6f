"""Retrieval quality on a labelled question set (question → the passages that answer it).

Recall@context: the hits are laid end to end until a context budget (2,000 characters by
default, about what a small model's prompt can spare); an answer counts as found when a
passage inside that budget covers the answer's lines. Used by ``bench/retrieval_eval.py``
and the quality test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from journal_me.memory.retrieval import Hit


@dataclass(frozen=True)
class Answer:
    path: str
    text: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    answers: tuple[Answer, ...]
    # How the answers combine: "each" (default) scores the share of answers found; "all"
    # scores 1 only when every answer is in context (a multi-hop question needs both
    # passages); "any" scores 1 when at least one is (the same fact told in two entries).
    needs: str = "each"


@dataclass
class EvalResult:
    name: str
    recall: float
    by_kind: dict[str, float]
    per_question: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        kinds = "  ".join(f"{k} {v:.2f}" for k, v in sorted(self.by_kind.items()))
        return f"{self.name:<8} recall@2000 {self.recall:.3f}   ({kinds})"


NEEDS = ("each", "all", "any")


def load_questions(paths: Sequence[Path]) -> list[Question]:
    out: list[Question] = []
    for path in paths:
        for raw in json.loads(path.read_text(encoding="utf-8")):
            if raw.get("needs", "each") not in NEEDS:
                raise ValueError(f"{path}: question {raw['id']}: needs must be one of {NEEDS}")
            out.append(
                Question(
                    id=raw["id"],
                    question=raw["question"],
                    kind=raw.get("kind", "fact"),
                    answers=tuple(Answer(a["path"], a["text"]) for a in raw["answers"]),
                    needs=raw.get("needs", "each"),
                )
            )
    return out


def answer_lines(vault: Path, answer: Answer) -> tuple[int, int]:
    """1-based inclusive line span of the answer text in its file."""
    text = (vault / answer.path).read_text(encoding="utf-8").replace("\r\n", "\n")
    pos = text.find(answer.text)
    if pos < 0:
        raise ValueError(f"answer text not found in {answer.path}: {answer.text[:60]!r}")
    start = text.count("\n", 0, pos) + 1
    end = start + answer.text.count("\n")
    return start, end


def in_context(hits: Sequence[Hit], budget: int) -> list[Hit]:
    used = 0
    out: list[Hit] = []
    for hit in hits:
        if out and used + len(hit.passage) > budget:
            break
        out.append(hit)
        used += len(hit.passage)
    return out


def question_score(q: Question, found: int) -> float:
    """A question's score from how many of its answers were in context."""
    if q.needs == "all":
        return 1.0 if found == len(q.answers) else 0.0
    if q.needs == "any":
        return 1.0 if found else 0.0
    return found / len(q.answers)


def evaluate(
    name: str,
    search: Callable[[str], Sequence[Hit]],
    questions: Sequence[Question],
    vault: Path,
    budget: int = 2000,
) -> EvalResult:
    per_q: dict[str, float] = {}
    kinds: dict[str, list[float]] = {}
    for q in questions:
        context = in_context(search(q.question), budget)
        found = 0
        for ans in q.answers:
            a0, a1 = answer_lines(vault, ans)
            if any(h.entry.rel == ans.path and h.line_start <= a1 and a0 <= h.line_end for h in context):
                found += 1
        score = question_score(q, found)
        per_q[q.id] = score
        kinds.setdefault(q.kind, []).append(score)
    recall = sum(per_q.values()) / max(len(per_q), 1)
    return EvalResult(
        name=name,
        recall=recall,
        by_kind={k: sum(v) / len(v) for k, v in kinds.items()},
        per_question=per_q,
    )


# The sample vault ends on 31 Oct 2026; its questions speak from the day after.
SAMPLE_TODAY = dt.date(2026, 11, 1)
