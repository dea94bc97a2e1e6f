"""Accent folding: a word is found whether or not either side typed its accents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_me.memory.graph import EntityGraph
from journal_me.memory.index import IndexedEntry, PassageIndex
from journal_me.memory.retrieval import Retriever, analyse, highlight_spans
from journal_me.vault import parse_entry

# (written with accents, typed without) — German, French, Spanish, Vietnamese, Nordic, Polish
PAIRS = [
    ("Müller", "Muller"),
    ("Straße", "Strasse"),
    ("Käsespätzle", "Kasespatzle"),
    ("café", "cafe"),
    ("crème brûlée", "creme brulee"),
    ("élève", "eleve"),
    ("niño", "nino"),
    ("mañana", "manana"),
    ("canción", "cancion"),
    ("phở", "pho"),
    ("Đà Lạt", "Da Lat"),
    ("Nguyễn", "Nguyen"),
    ("smørrebrød", "smorrebrod"),
    ("Łódź", "Lodz"),
]


@pytest.mark.parametrize("accented, plain", PAIRS)
def test_the_analyzer_folds_accents(accented: str, plain: str) -> None:
    assert analyse(accented) == analyse(plain)
    assert analyse(accented)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PassageIndex]:
    ix = PassageIndex(tmp_path / "index")
    items = []
    for i, (accented, plain) in enumerate(PAIRS):
        # one entry written with the accents, one without, about different days
        for j, (word, style) in enumerate(((accented, "acc"), (plain, "plain"))):
            rel = f"2026-0{1 + j}-{10 + i:02d}.md"
            text = f"Notebook {style} {i}: {word}.\n"
            e = parse_entry(rel, text.encode(), path=tmp_path / rel, mtime=0)
            items.append(IndexedEntry(e, (), [() for _ in e.passages]))
    ix.write(items)
    yield ix
    ix.close()


@pytest.mark.parametrize("n, pair", list(enumerate(PAIRS)))
def test_either_spelling_finds_both(
    index: PassageIndex, tmp_path: Path, n: int, pair: tuple[str, str]
) -> None:
    retriever = Retriever(index, EntityGraph(), tmp_path)
    acc_rel, plain_rel = f"2026-01-{10 + n:02d}.md", f"2026-02-{10 + n:02d}.md"
    for typed in pair:
        found = {h.entry.rel for h in retriever.search(typed, limit=50)}
        assert {acc_rel, plain_rel} <= found, typed


def test_highlights_fall_on_the_accented_word() -> None:
    passage = "Coffee at the café with Zoë."
    spans = highlight_spans(passage, set(analyse("cafe zoe")))
    assert [passage[a:b] for a, b in spans] == ["café", "Zoë"]


def test_folding_reaches_an_existing_index_through_a_rebuild(tmp_path: Path) -> None:
    """An index written before folding is rebuilt (the schema version changed)."""
    from journal_me.memory import index as index_module

    directory = tmp_path / "index"
    ix = PassageIndex(directory)
    ix.close()
    (directory / "SCHEMA_VERSION").write_text("9")
    again = PassageIndex(directory)
    assert again.recovered is not None and "format changed" in again.recovered
    assert (directory / "SCHEMA_VERSION").read_text() == index_module.SCHEMA_VERSION
    again.close()
