"""Highlights are computed without running the analyzer over each passage (it was half of a
search's time); they must stay exactly what the analyzer marks."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me.memory.retrieval import _ANALYZER, analyse, highlight_spans

SAMPLE = Path(__file__).resolve().parents[2] / "vault"


def analyzer_spans(passage: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    return tuple(
        (t.startchar, t.endchar)
        for t in _ANALYZER(passage, chars=True, positions=False, removestops=True)
        if t.text in terms
    )


def test_sample_vault_highlights_are_the_analyzer_s() -> None:
    rnd = random.Random(10)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.rglob("*.md"))]
    assert len(texts) > 150
    marked = 0
    for text in texts:
        words = analyse(text)
        for _ in range(3):
            terms = set(rnd.sample(words, min(len(words), 6)))
            got = highlight_spans(text, terms)
            assert got == analyzer_spans(text, terms)
            marked += len(got)
    assert marked > 1000


PIECES = [*"aeiouyrstnlcdkgßøéïłœ日Пр .,*_-'\n3", "running", "ies", "The ", "flies", "dying"]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=60),
    extra=st.lists(
        st.sampled_from(["run", "i", "e", "ss", "oe", "the", "3", "a*b", "die", "fli"]), max_size=3
    ),
)
def test_any_text_highlights_like_the_analyzer(pieces: list[str], extra: list[str]) -> None:
    text = "".join(pieces)
    terms = set(analyse(text)[::2]) | set(extra)
    assert highlight_spans(text, terms) == analyzer_spans(text, terms)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=60))
def test_the_highlighter_cuts_words_as_the_tokenizer_does(pieces: list[str]) -> None:
    from journal_me.memory.index import TOKEN_PATTERN
    from journal_me.memory.retrieval import _WORDS_RE

    text = "".join(pieces)
    assert _WORDS_RE.findall(text) == [m.group() for m in TOKEN_PATTERN.finditer(text)]
