"""Highlights analyse only the words that start like a query term (a word's term starts with
its first letter, lower-cased and folded): still exactly what the analyzer marks, in every
script the real-style notes use; and a passage's other words are not analysed at all."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me.memory import retrieval
from journal_me.memory.index import _FOLD
from journal_me.memory.retrieval import _ANALYZER, analyse, highlight_spans

_TEXT = (
    "Running runs ran runner Ærøskøbing Æsir élan Éléonore Straße Øresund Łódź İstanbul ıspanak"
    " Σωκράτης ΣΟΦΙΑ Москва Ёлка 東京 日記 서울 한국어 ქართული Ελληνικά naïve café Ça ĳssel"
    " skies dying lying idly gently ugly early only singly news atlas cosmos bias andes y Yearly"
    " x86_64 1.7.7 5k 10K W3R2 __init__ _private"
)
WORDS = _TEXT.split()


def analyzer_spans(passage: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    return tuple(
        (t.startchar, t.endchar)
        for t in _ANALYZER(passage, chars=True, positions=False, removestops=True)
        if t.text in terms
    )


def test_a_word_s_term_starts_with_its_folded_first_letter() -> None:
    for word in WORDS:
        terms = analyse(word)
        if terms:
            assert terms[0][:1] == word[:1].lower().translate(_FOLD)[:1], (word, terms)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), st.integers(0, 2**32))
def test_highlights_are_the_analyzer_s_in_any_script(words: list[str], seed: int) -> None:
    rng = random.Random(seed)
    passage = " ".join(w if rng.random() < 0.8 else w.upper() for w in words)
    terms = {t for w in rng.sample(words, min(3, len(words))) for t in analyse(w)}
    assert highlight_spans(passage, terms) == analyzer_spans(passage, terms)


def test_words_that_cannot_match_are_not_analysed() -> None:
    retrieval._term_of.cache_clear()
    passage = "Zebras quietly wandered past the old lighthouse keeper's cottage; running again."
    assert highlight_spans(passage, {"run"}) == ((passage.index("running"), passage.index("running") + 7),)
    analysed = retrieval._term_of.cache_info().currsize
    assert analysed == 1  # "running" alone (and not "Zebras", "quietly", ...)
