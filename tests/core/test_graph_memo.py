"""Per-entity facts (name, type, public spellings, info) are remembered between queries of one
graph — a warm search asks for the same neighbours again and again — and forgotten as soon
as the store changes, through this graph or another process's connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_me.memory import graph_store
from journal_me.memory.graph import EntityGraph
from journal_me.vault import Entry, parse_entry


def _entry(rel: str, text: str) -> Entry:
    return parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)


ENTRIES = [
    _entry("2025-01-01.md", "Climbing with [[Dev]] and [[Sam]] at the Depot. #climbing\n"),
    _entry("2025-01-02.md", "Dinner with [[Sam]] and [[Dev]] in Leith.\n"),
    _entry("2025-01-03.md", "Long call with [[Sam]] about Leith.\n"),
]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    statements: list[str] = []
    real_open = graph_store._open

    def tracing_open(path: Path | None) -> sqlite3.Connection:
        con = real_open(path)
        con.set_trace_callback(statements.append)
        return con

    monkeypatch.setattr(graph_store, "_open", tracing_open)
    yield statements


def _aggregates(statements: list[str]) -> int:
    return sum("GROUP BY" in s.upper() and "b.key" not in s for s in statements)


def test_a_second_related_call_reads_no_entity_aggregates(tmp_path: Path, traced: list[str]) -> None:
    g = EntityGraph(tmp_path / "graph.sqlite3")
    g.apply_batch(ENTRIES, [])
    traced.clear()
    first = g.related("Sam")
    assert _aggregates(traced) > 0
    traced.clear()
    assert g.related("Sam") == first
    assert _aggregates(traced) == 0, traced
    g.close()


def test_facts_are_forgotten_when_the_store_changes(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite3"
    g = EntityGraph(path)
    g.apply_batch(ENTRIES, [])
    assert g.display_name("dev") == "Dev"
    assert {r.name for r in g.related("Sam")} >= {"Dev"}
    # another process renames Dev everywhere (two entries now write "DEV")
    other = EntityGraph(path)
    other.apply_batch(
        [
            _entry("2025-01-01.md", "Climbing with [[DEV]] and [[Sam]] at the Depot. #climbing\n"),
            _entry("2025-01-02.md", "Dinner with [[Sam]] and [[DEV]] in Leith.\n"),
        ],
        [],
    )
    other.close()
    assert g.display_name("dev") == "DEV"
    assert "DEV" in {r.name for r in g.related("Sam")}
    # this graph's own write
    g.apply_batch([], ["2025-01-01.md", "2025-01-02.md"])
    assert g.info("dev") is None
    assert not {"DEV", "Dev"} & {r.name for r in g.related("Sam")}
    g.close()
