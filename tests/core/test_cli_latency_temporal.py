"""Temporal phrases without compiling their patterns for a question that cannot hold one
(memory/temporal.py's quick test): the same hints as trying every pattern, on every labelled
question and on generated ones full of near-misses."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import sys
from pathlib import Path

from journal_me.memory import temporal
from journal_me.memory.temporal import TimeHint, parse_temporal

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 6, 15)


def _every_pattern(question: str) -> TimeHint:
    """parse_temporal as it was: every pattern tried."""
    gate = temporal._may_name_a_period
    temporal._may_name_a_period = lambda q: True  # type: ignore[assignment]
    try:
        return parse_temporal(question, TODAY)
    finally:
        temporal._may_name_a_period = gate  # type: ignore[assignment]


def _questions() -> list[str]:
    out: list[str] = []
    for path in sorted((REPO / "tests" / "data").rglob("questions_*.json")):
        out += [q["question"] for q in json.loads(path.read_text(encoding="utf-8"))]
    return out


def test_labelled_questions_get_the_same_hints() -> None:
    questions = _questions()
    assert len(questions) > 100
    for q in questions:
        assert parse_temporal(q, TODAY) == _every_pattern(q), q


def test_a_question_the_quick_test_passes_by_matches_no_pattern() -> None:
    words = "when did I start running the knee spring summer Fall fallen mayor Marchant sept decade"
    words += " yesterdays todays weekend weeks month-end ago agog before after since until till by"
    words += " christmas Xmas new year years between and of in on last this past 12 2023 3rd é naïve"
    vocab = [*words.split(), "", "?", ".", ",", "'s", "-", "_"]
    rng = random.Random(3)
    patterns = [re.compile(source, re.I) for _, source in temporal._PATTERN_SOURCES]
    skipped = 0
    for _ in range(4000):
        q = "".join(rng.choice(vocab) + rng.choice(["", " ", " ", "  "]) for _ in range(rng.randint(1, 7)))
        if not temporal._may_name_a_period(q):
            skipped += 1
            assert not any(p.search(q) for p in patterns), q
        assert parse_temporal(q, TODAY) == _every_pattern(q), q
    assert skipped > 100  # (the quick test does say no to something)


def test_a_plain_question_compiles_no_pattern() -> None:
    code = (
        "import re, journal_me.memory.temporal as t\n"
        "compiled = []\n"
        "real = re.compile\n"
        "re.compile = lambda *a, **k: compiled.append(a[0]) or real(*a, **k)\n"
        "t.parse_temporal('when did I start running?')\n"
        "assert not any(s == p for _, s in t._PATTERN_SOURCES for p in compiled), compiled\n"
        "t.parse_temporal('what did I do last summer?')\n"
        "assert t._patterns.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
