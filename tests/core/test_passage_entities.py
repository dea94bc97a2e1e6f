"""A passage's ``entities`` field (what bridge search boosts) lists the entities the passage
names as whole words: "Sam" is not in "the same old rain"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from journal_me.api import Journal
from journal_me.memory.entities import names_in


def test_names_match_whole_words_only() -> None:
    names = {"sam": "Sam", "al": "Al Reid", "st. ives": "St. Ives", "#run": "#run"}
    assert names_in("The same old rain; also a salad.", names) == []
    assert names_in("Sam's bike, (sam) again; Al too.", names) == ["Sam", "Al Reid"]
    assert names_in("Back from St. Ives, #run done", names) == ["St. Ives", "#run"]
    assert names_in("#running late", names) == []


def test_a_passage_saying_same_does_not_name_sam(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    filler = " ".join(["Walked the long way round by the canal and the old mill."] * 12)
    write(
        vault,
        "2026-03-01.md",
        f"Coffee with [[Sam]] at the market. {filler}\n\n"
        f"The same old rain all afternoon, samosas for tea. {filler}\n",
    )
    j = open_journal(vault)
    j.reindex()
    # the passage text is read back from the file (the index stores it only when it must)
    ents = {h.passage[:6]: ",".join(h.entities) for h in j._retriever.passages_of("2026-03-01.md")}
    assert ents == {"Coffee": "sam", "The sa": ""}
