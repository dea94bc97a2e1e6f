"""`doctor` reads what it prints from the graph store's aggregates (no index document, no
file), and says which search scorer is on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import journal_me.commands.journal as journal_cmds
from journal_me.api import Journal
from journal_me.memory import index as index_module

ENTRIES = {
    "2026-01-05.md": "Bouldering at the Depot with Dev. My forearms are jelly.\n",
    "2026-01-06.md": "Knee pain after the run with Dev. #running\n",
    "2026-01-07.md": "---\nprivate: true\n---\nFiona at the clinic about the knee. #running\n",
    "2026-01-07.conflict-20260108-101500.md": "Fiona at the clinic, another version.\n",
    "people/Dev.md": "---\ntype: person\naliases: [Devi]\n---\nClimbing partner.\n",
}


@pytest.fixture
def run(
    vault: Path,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., tuple[int, str, str]],
) -> Callable[..., tuple[int, str, str]]:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    monkeypatch.setattr(journal_cmds, "doctor_checks", lambda: [])  # the core's checks only

    return run_cli


def test_counts_agree_with_the_full_listings(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    journal = open_journal(vault)
    journal.reindex()
    entries = journal.entries()
    n, private, entities = journal.counts()
    assert n == len(entries) == len(ENTRIES)
    assert private == sum(e.private for e in entries) == 2  # the conflict copy is fenced
    assert entities == len(journal.entities())
    assert [c.rel for c in journal.conflicts()] == ["2026-01-07.conflict-20260108-101500.md"]


def test_doctor_reads_no_index_document(
    run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("index")[0] == 0

    def refuse(self: Journal) -> None:
        raise AssertionError("doctor listed every entry of the index")

    monkeypatch.setattr(Journal, "entries", refuse)
    monkeypatch.setattr(Journal, "entities", refuse)
    code, out, err = run("doctor")
    assert "entries:    5 indexed" in out, err
    assert "entities:   " in out
    assert "1 conflict copy(ies)" in out and code == 1


def test_doctor_names_the_scorer(
    run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("index")[0] == 0
    _code, out, _err = run("doctor")
    # five entries: Whoosh alone, numpy not loaded (a plain line, not a warning)
    assert "search scorer: Whoosh alone: " in out and "the numpy scorer starts at" in out
    # a one-shot command turns numpy on at a larger size than a long-running process
    monkeypatch.setattr(index_module, "FAST_PATH_MIN_DOCS", 0)
    _code, out, _err = run("doctor")
    assert "search scorer: Whoosh alone: " in out and "starts at 60000" in out
    monkeypatch.setattr(index_module, "ONE_SHOT_FAST_PATH_MIN_DOCS", 0)
    _code, out, _err = run("doctor")
    assert "search scorer: numpy fast path" in out
    monkeypatch.setattr(Journal, "search_scorer", lambda self: (False, "self-check mismatch"))
    _code, out, _err = run("doctor")
    assert "search scorer: Whoosh only (self-check mismatch)" in out
