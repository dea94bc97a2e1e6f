"""A large graph batch (a first index, a rebuild) does not leave its transaction in the WAL
file: a 6k-note index left a 29 MB graph.sqlite3-wal beside a 29 MB store while the process
(a TUI, `watch`) kept the store open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from journal_me.memory.graph import EntityGraph
from journal_me.memory.graph_store import CHECKPOINT_MIN_ENTRIES, store_path
from journal_me.vault import Entry, parse_entry

PEOPLE = [
    f"{first} {last}" for first in ("Alice", "Bruno", "Chiara", "Dmitri") for last in ("Marlow", "Quint")
]


def _entries(n: int, start: int = 0) -> list[Entry]:
    out: list[Entry] = []
    for i in range(start, start + n):
        names = ", ".join(f"[[{PEOPLE[(i + k) % len(PEOPLE)]}]]" for k in range(4))
        rel = f"journal/2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}-{i:05d}.md"
        text = f"Met {names} by the lake, talked about #walking and the Quint Bakery.\n"
        out.append(parse_entry(rel, text.encode(), path=Path("/v") / rel, mtime=0))
    return out


def _wal(tmp_path: Path) -> int:
    wal = Path(str(store_path(tmp_path)) + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_large_batch_leaves_no_wal_behind(tmp_path: Path) -> None:
    g = EntityGraph(store_path(tmp_path))
    reader = sqlite3.connect(store_path(tmp_path))  # another process reading, between reads
    g.apply_batch(_entries(CHECKPOINT_MIN_ENTRIES), [])
    assert _wal(tmp_path) == 0
    assert reader.execute("SELECT count(*) FROM entry").fetchone()[0] == CHECKPOINT_MIN_ENTRIES
    # a small save is left to SQLite's own checkpoints (cheap), its WAL bounded
    g.apply_batch(_entries(3, start=CHECKPOINT_MIN_ENTRIES), [])
    assert 0 < _wal(tmp_path) < 4 * 1024 * 1024
    g.rebuild()
    assert _wal(tmp_path) == 0
    reader.close()
    g.close()
