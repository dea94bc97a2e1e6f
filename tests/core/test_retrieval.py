"""Retrieval: hits, highlights, filters, temporal phrases, privacy, quality on the sample."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_me.api import Journal
from journal_me.memory.evaluate import SAMPLE_TODAY, evaluate, load_questions
from journal_me.memory.retrieval import QueryPlan, analyse
from journal_me.memory.temporal import parse_temporal

from .conftest import QUESTION_FILES

D = dt.date
TODAY = D(2026, 11, 1)

ENTRIES = {
    "2025-07-20.md": "A swim in the lake at Windermere. The heat was unreal.\n",
    "2025-12-01.md": (
        "---\ntags: [home/flat]\n---\nThe boiler broke again; Mr Okonkwo promised to fix it by Friday.\n"
    ),
    "2026-02-14.md": "Hired a kayak on Loch Lomond and paddled to the island. Arms like noodles.\n",
    "2026-03-20.md": "Viewed a flat in Leith: damp bathroom, lovely light, a landlord called Hamish.\n",
    "2026-04-11.md": (
        "---\ntitle: Moving day\n---\n# Moving day\n\n"
        "We moved everything into the Leith flat today. The move took nine hours and "
        "Biscuit hid in a box the whole time. I moved house, finally.\n"
    ),
    "2026-05-10.md": "Pottery class: threw a lopsided bowl and was weirdly proud. #pottery\n",
    "2026-06-01.md": "Flood dashboard demo for the council. #work/tidewater\n",
    "2026-07-15.md": "Evening swim at Portobello beach with Jamie, the water freezing. #swimming\n",
    "2026-08-02.md": "---\nprivate: true\n---\nTherapy: talked about the swim, Jamie and Dad's heart.\n",
    "2026-08-03.md": "Long swim again at Portobello; Jamie is braver than me. #private\n",
}
PRIVATE = {"2026-08-02.md", "2026-08-03.md"}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    j = open_journal(vault)
    j.reindex()
    return j


def test_hits_carry_entry_passage_score_and_highlights(journal: Journal, vault: Path) -> None:
    hits = journal.search("Did the boiler break or was it broke?", today=TODAY)
    hit = hits[0]
    assert hit.entry.rel == "2025-12-01.md"
    assert hit.entry.path == vault / "2025-12-01.md"
    assert hit.entry.date == D(2025, 12, 1)
    assert hit.entry.title == "Monday 1 December 2025"
    assert hit.entry.tags == ("home/flat",)
    assert hit.passage == "The boiler broke again; Mr Okonkwo promised to fix it by Friday."
    assert (hit.line_start, hit.line_end) == (4, 4)
    assert hit.score > 0
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    marked = [hit.passage[a:b] for a, b in hit.highlights]
    assert sorted(marked) == ["boiler", "broke"]  # "break" is not in the passage
    for a, b in hit.highlights:
        assert 0 <= a < b <= len(hit.passage)
        assert analyse(hit.passage[a:b])  # a real word, not a stop word
    data = hit.to_json()
    assert data["path"] == "2025-12-01.md" and data["lines"] == [4, 4]
    assert json.loads(json.dumps(data)) == data


def test_highlights_follow_stems(journal: Journal) -> None:
    plan = QueryPlan()
    hit = journal.search("swimming", today=TODAY, plan=plan)[0]
    assert hit.entry.rel == "2026-07-15.md"
    marked = [hit.passage[a:b] for a, b in hit.highlights]
    assert marked == ["swim", "swimming"]
    # every highlight span points at one of the query's (stemmed) words
    for a, b in hit.highlights:
        assert analyse(hit.passage[a:b]) == plan.terms == ["swim"]


def test_before_after_filters(journal: Journal) -> None:
    later = journal.search("swim", after=D(2026, 1, 1), today=TODAY)
    assert {h.entry.rel for h in later} == {"2026-07-15.md", "2026-08-02.md", "2026-08-03.md"}
    earlier = journal.search("swim", before=D(2025, 12, 31), today=TODAY)
    assert {h.entry.rel for h in earlier} == {"2025-07-20.md"}
    window = journal.search("swim", after=D(2026, 7, 15), before=D(2026, 7, 15), today=TODAY)
    assert [h.entry.rel for h in window] == ["2026-07-15.md"]  # both ends inclusive
    assert journal.search("swim", after=D(2027, 1, 1), today=TODAY) == []


def test_tag_filters_match_nested_tags(journal: Journal) -> None:
    assert [h.entry.rel for h in journal.search("boiler", tags=["home"])] == ["2025-12-01.md"]
    assert [h.entry.rel for h in journal.search("boiler", tags=["#home/flat"])] == ["2025-12-01.md"]
    assert journal.search("boiler", tags=["pottery"]) == []
    assert [h.entry.rel for h in journal.search("dashboard demo", tags=["work"])] == ["2026-06-01.md"]
    assert journal.search("dashboard", tags=["wor"]) == []
    # a tag filter with nothing else to search lists the tagged entries
    assert [h.entry.rel for h in journal.search("", tags=["pottery"])] == ["2026-05-10.md"]


def test_last_summer(journal: Journal) -> None:
    plan = QueryPlan()
    hits = journal.search("where did I swim last summer?", today=TODAY, plan=plan)
    assert (plan.after, plan.before) == (D(2026, 6, 1), D(2026, 8, 31))
    assert hits and {h.entry.rel for h in hits} <= {"2026-07-15.md", "2026-08-02.md", "2026-08-03.md"}
    # "the summer before last" is 2025
    plan = QueryPlan()
    hits = journal.search("where did I swim the summer before last?", today=TODAY, plan=plan)
    assert (plan.after, plan.before) == (D(2025, 6, 1), D(2025, 8, 31))
    assert [h.entry.rel for h in hits] == ["2025-07-20.md"]


def test_in_a_month(journal: Journal) -> None:
    plan = QueryPlan()
    hits = journal.search("what did I make at pottery in May 2026?", today=TODAY, plan=plan)
    assert (plan.after, plan.before) == (D(2026, 5, 1), D(2026, 5, 31))
    assert [h.entry.rel for h in hits] == ["2026-05-10.md"]
    # a purely temporal question lists that period, not the noise words anywhere
    plan = QueryPlan()
    hits = journal.search("what happened in May?", today=TODAY, plan=plan)
    assert (plan.after, plan.before, plan.relaxed) == (D(2026, 5, 1), D(2026, 5, 31), False)
    assert [h.entry.rel for h in hits] == ["2026-05-10.md"]


def test_before_i_moved_is_anchored_on_the_move(journal: Journal) -> None:
    # an event anchor is soft: it lifts passages on the asked side of the event
    plan = QueryPlan()
    hits = journal.search("what was the flat like before I moved?", today=TODAY, plan=plan)
    assert plan.time is not None and plan.time.anchor == "moved"
    assert plan.prefer == (None, D(2026, 4, 10))
    assert plan.before is None  # not a hard filter
    assert hits[0].entry.rel == "2026-03-20.md"
    plan = QueryPlan()
    hits = journal.search("where did I swim after I moved?", today=TODAY, plan=plan)
    assert plan.prefer == (D(2026, 4, 11), None)
    assert hits and hits[0].entry.date >= D(2026, 4, 11)


@pytest.mark.parametrize(
    ("phrase", "after", "before"),
    [
        ("last summer", D(2026, 6, 1), D(2026, 8, 31)),
        ("this summer", D(2026, 6, 1), D(2026, 8, 31)),
        ("last winter", D(2025, 12, 1), D(2026, 2, 28)),
        ("in May 2026", D(2026, 5, 1), D(2026, 5, 31)),
        ("in may", D(2026, 5, 1), D(2026, 5, 31)),
        ("in November", D(2026, 11, 1), D(2026, 11, 30)),
        ("last October", D(2026, 10, 1), D(2026, 10, 31)),  # the October just gone
        ("last November", D(2025, 11, 1), D(2025, 11, 30)),
        ("on 2026-03-02", D(2026, 3, 2), D(2026, 3, 2)),
        ("on the 14th of March", D(2026, 3, 14), D(2026, 3, 14)),
        ("on March 14", D(2026, 3, 14), D(2026, 3, 14)),
        ("between March and May", D(2026, 3, 1), D(2026, 5, 31)),
        ("in 2025", D(2025, 1, 1), D(2025, 12, 31)),
        ("yesterday", D(2026, 10, 31), D(2026, 10, 31)),
        ("last week", D(2026, 10, 19), D(2026, 10, 25)),
        ("last month", D(2026, 10, 1), D(2026, 10, 31)),
        ("at Christmas", D(2025, 12, 18), D(2025, 12, 31)),
        ("before June", None, D(2026, 5, 31)),
        ("since 2026", D(2026, 1, 1), None),
    ],
)
def test_temporal_phrases(phrase: str, after: D | None, before: D | None) -> None:
    hint = parse_temporal(f"what did I do {phrase}?", TODAY)
    assert (hint.after, hint.before) == (after, before)
    assert phrase.lower() not in hint.text.lower()


def test_may_the_verb_is_not_a_month() -> None:
    assert not parse_temporal("I may go swimming", TODAY).has_range


def test_question_full_of_stop_words_finds_its_passage(journal: Journal) -> None:
    question = "what was it that I was doing with the kayak, and where was it that I was?"
    hits = journal.search(question, today=TODAY)
    assert hits[0].entry.rel == "2026-02-14.md"
    marked = {hits[0].passage[a:b].lower() for a, b in hits[0].highlights}
    assert marked == {"kayak"}


def test_search_syntax_is_just_text(journal: Journal) -> None:
    for q in [
        'boiler AND (NOT "kayak',
        "boil* ~2 ^3 :",
        "title:boiler",
        "[[Leith]] #pottery",
        "",
        "???",
        "the and of",
    ]:
        journal.search(q, today=TODAY)  # never raises
    assert journal.search("the and of", today=TODAY) == []
    assert journal.search("title:boiler", today=TODAY)[0].entry.rel == "2025-12-01.md"


def test_private_entries_are_never_returned_when_excluded(journal: Journal) -> None:
    assert {h.entry.rel for h in journal.search("swim Jamie")} & PRIVATE
    for q in [
        "swim Jamie",
        "therapy",
        "Dad's heart",
        "what did I talk about in therapy last summer?",
        "Portobello",
    ]:
        hits = journal.search(q, include_private=False, today=TODAY)
        assert not {h.entry.rel for h in hits} & PRIVATE, q
        assert not any(h.entry.private for h in hits)


_vocab = st.sampled_from(
    [
        "swim",
        "Jamie",
        "therapy",
        "Dad",
        "heart",
        "Portobello",
        "braver",
        "summer",
        "last",
        "in",
        "August",
        "before",
        "I",
        "moved",
        "the",
        "what",
        "#private",
        "#swimming",
        "2026",
        "water",
    ]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_vocab, min_size=1, max_size=6).map(" ".join))
def test_private_exclusion_holds_for_any_question(journal: Journal, question: str) -> None:
    hits = journal.search(question, include_private=False, today=TODAY, limit=20)
    assert not {h.entry.rel for h in hits} & PRIVATE


def test_sample_vault_quality_threshold(sample_journal: Journal, sample_settings: object) -> None:
    vault = sample_journal._vault.root
    questions = load_questions(QUESTION_FILES)
    assert len(questions) >= 60
    hybrid = evaluate(
        "hybrid", lambda q: sample_journal.search(q, limit=20, today=SAMPLE_TODAY), questions, vault
    )
    bm25 = evaluate("bm25", lambda q: sample_journal.bm25(q, limit=20), questions, vault)
    print(bm25.line())
    print(hybrid.line())
    assert hybrid.recall >= 0.60, hybrid.line()
    assert hybrid.recall >= bm25.recall + 0.10, (hybrid.line(), bm25.line())


def _private_rels(journal: Journal) -> set[str]:
    return {e.rel for e in journal.entries() if e.private}


def test_sample_vault_private_entries_never_leak(sample_journal: Journal) -> None:
    private = _private_rels(sample_journal)
    assert len(private) >= 5
    for q in load_questions(QUESTION_FILES):
        hits = sample_journal.search(q.question, limit=20, include_private=False, today=SAMPLE_TODAY)
        assert not {h.entry.rel for h in hits} & private, q.question
    names = {e.name for e in sample_journal.entities(include_private=False)}
    assert "Dr Whitfield" not in names and "Anne Whitfield" not in names
