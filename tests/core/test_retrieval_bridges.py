"""Bridge entities (issue 10): a multi-hop question's second passage names who the first one
names, not what the question says; a second round searches for those entities."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.memory.retrieval import QueryPlan

ENTRIES = {
    # the first hop: the question's words, and who the joiner is
    "2026-07-21.md": "Pottery class at the studio. The joiner next to me is Jamie Kerr; he restores boats.\n",
    # the second hop: one of the question's words, and Jamie Kerr
    "2026-08-02.md": "Film night with Jamie Kerr. I cried at the end and he pulled out a clean hanky.\n",
    # distractors: as many of the question's words, no Jamie Kerr
    "2026-07-28.md": "Lost my pocket notebook somewhere on the bus home.\n",
    "2026-08-09.md": "Found a fiver in my coat pocket, a small joy.\n",
    "2026-08-15.md": "Lunch with Priya at the Shore; she pulled out the new contract. Priya is brilliant.\n",
}
QUESTION = "what did the joiner from pottery pull out of his pocket?"


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    j = open_journal(vault)
    j.reindex()
    # the second round is off by default (it lowered the held-out set's recall): on here
    j._retriever.weights = dataclasses.replace(j._retriever.weights, bridge_entities=3)
    return j


def test_bridges_are_off_by_default() -> None:
    from journal_me.memory.retrieval import Weights

    assert Weights().bridge_entities == 0


def top_rels(journal: Journal, n: int, plan: QueryPlan | None = None) -> list[str]:
    return [h.entry.rel for h in journal.search(QUESTION, limit=n, plan=plan)]


def test_the_second_hop_is_found_through_the_first_hop_s_entity(journal: Journal) -> None:
    plan = QueryPlan()
    top = top_rels(journal, 4, plan)
    assert "jamie kerr" in plan.bridges
    assert "2026-08-02.md" in top, top  # named only through Jamie Kerr
    assert top[0] == "2026-07-21.md"  # the first hop keeps its place


def test_without_bridges_the_second_hop_is_not_in_front(journal: Journal) -> None:
    r = journal._retriever
    r.weights = dataclasses.replace(r.weights, bridge_entities=0)
    plan = QueryPlan()
    assert "2026-08-02.md" not in top_rels(journal, 4, plan)
    assert plan.bridges == []


def test_bridges_never_come_from_private_passages_when_they_are_excluded(
    vault: Path, write: Callable[..., Path], journal: Journal
) -> None:
    write(
        vault,
        "2026-08-20.md",
        "---\nprivate: true\n---\nPottery: the joiner, Moira Grant, pulled a pocket watch.\n",
    )
    journal.update_paths(["2026-08-20.md"])
    plan = QueryPlan()
    journal.search(QUESTION, limit=10, include_private=True, plan=plan)
    assert "moira grant" in plan.bridges  # the private passage is a first hop when allowed
    plan = QueryPlan()
    hits = journal.search(QUESTION, limit=10, include_private=False, plan=plan)
    assert "moira grant" not in plan.bridges
    assert all(not h.entry.private for h in hits)
