"""The graph store keeps per-entry data once: mention rows hold the entry's integer id, not
copies of its title, date and path (a 10k-note vault's store was 6x the size it needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from journal_me.memory.graph import EntityGraph
from journal_me.memory.graph_store import store_path
from journal_me.vault import parse_entry

FIRST = ["Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
PEOPLE = [f"{f} {last}" for f in FIRST for last in ("Marlow", "Quint")]


def _vault_entries(n: int) -> list[object]:
    out = []
    for i in range(n):
        title = f"A long title number {i:04d} " + "x" * 200
        names = ", ".join(f"[[{PEOPLE[(i + k) % len(PEOPLE)]}]]" for k in range(12))
        text = f"---\ntitle: {title}\n---\nMet {names} at the lake.\n"
        rel = f"notes/deeply/nested/folder/2025-01-{i % 28 + 1:02d}-{i:04d}.md"
        out.append(parse_entry(rel, text.encode(), path=Path("/v") / rel, mtime=0))
    return out


def test_titles_and_paths_are_stored_once(tmp_path: Path) -> None:
    g = EntityGraph(store_path(tmp_path))
    entries = _vault_entries(60)
    g.apply_batch(entries, [])  # type: ignore[arg-type]
    assert len(g.entities_in(entries[0].rel)) >= 12  # type: ignore[attr-defined]
    g.close()
    con = sqlite3.connect(store_path(tmp_path))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = store_path(tmp_path).read_bytes()
    for e in entries[:5]:
        assert data.count(e.title.encode()) == 1, "a title copied into other rows"  # type: ignore[attr-defined]
        assert data.count(e.rel.encode()) <= 2, "a path copied into other rows"  # type: ignore[attr-defined]
    # 60 entries x 13 mentions: a few pages of names, not 60 x 13 copies of 250-byte titles
    # (and the hub tables: their five B-trees and the 20 people's 380 weight-ordered pairs)
    assert len(data) < 200_000, len(data)


def test_queries_read_entry_data_through_the_id(tmp_path: Path) -> None:
    g = EntityGraph(store_path(tmp_path))
    entries = _vault_entries(30)
    g.apply_batch(entries, [])  # type: ignore[arg-type]
    points = g.timeline("Dmitri Marlow")
    assert points and all(p.title.startswith("A long title number") for p in points)
    assert points == sorted(points, key=lambda p: (p.date, p.rel))
    g.apply_batch([], [p.rel for p in points])
    assert g.timeline("Dmitri Marlow") == []
    assert g.entities_in(points[0].rel) == []
    g.close()
