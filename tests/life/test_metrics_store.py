"""The metric store: rebuilt from the vault, incremental, privacy kept apart."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.life import metrics_store
from journal_me.life.metrics_store import MetricStore, daily_values, refresh, store_file


def _fresh(journal: Journal) -> MetricStore:
    return refresh(journal, MetricStore(store_file(journal.data_dir)))


def test_refresh_reads_all_conventions_and_privacy(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "journal/2025/2025-09-01.md", "---\nsleep: 7\nmood: ok\n---\nRan. #run:5km\n")
    write(vault, "journal/2025/2025-09-02.md", "Tired.\n\n[sleep:: 5.5] [mood:: 4]\n")
    write(vault, "journal/2025/2025-09-03.md", "---\nprivate: true\nsleep: 4\n---\nbad night\n")
    write(vault, "people/Sam.md", "---\nage: 33\n---\nFriend.\n")  # undated note: no metric
    journal = open_journal(vault)
    store = _fresh(journal)
    names = {m.name: m for m in store.metrics()}
    assert set(names) == {"sleep", "mood", "run"}
    assert names["sleep"].n == 3 and names["mood"].n_text == 1 and names["run"].unit == "km"
    public = {m.name: m for m in store.metrics(include_private=False)}
    assert public["sleep"].n == 2
    points = store.series("sleep", include_private=False)
    assert [(p.day, p.value) for p in points] == [(dt.date(2025, 9, 1), 7.0), (dt.date(2025, 9, 2), 5.5)]
    assert [p.private for p in store.series("sleep")] == [False, False, True]
    assert stat.S_IMODE(os.stat(store_file(journal.data_dir)).st_mode) == 0o600


def test_refresh_is_incremental_and_follows_edits_and_deletes(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for day in range(1, 6):
        write(vault, f"journal/2025/2025-09-0{day}.md", f"sleep:: {day}\n")
    journal = open_journal(vault)
    store = _fresh(journal)
    reads: list[str] = []
    real = journal._vault.read_bytes

    def counting(rel: str) -> tuple[bytes, float]:
        reads.append(rel)
        return real(rel)

    monkeypatch.setattr(journal._vault, "read_bytes", counting)
    refresh(journal, store)
    assert reads == []  # nothing changed: nothing re-read
    write(vault, "journal/2025/2025-09-02.md", "sleep:: 9\n")
    (vault / "journal/2025/2025-09-05.md").unlink()
    journal.reindex()
    reads.clear()  # the index hashes every file; the store re-reads only what changed
    refresh(journal, store)
    assert reads == ["journal/2025/2025-09-02.md"]
    assert [p.value for p in store.series("sleep")] == [1.0, 9.0, 3.0, 4.0]


def test_becoming_private_is_followed(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "journal/2025/2025-09-01.md", "sleep:: 7\n")
    journal = open_journal(vault)
    store = _fresh(journal)
    assert store.series("sleep", include_private=False)
    write(vault, "journal/2025/2025-09-01.md", "sleep:: 7 #private\n")
    journal.reindex()
    refresh(journal, store)
    assert store.series("sleep", include_private=False) == []


def test_daily_values_average_a_days_entries() -> None:
    day = dt.date(2025, 9, 1)
    pts = [
        metrics_store.MetricPoint(day, 6.0, None, None, "6", "a.md", 1, "front", False),
        metrics_store.MetricPoint(day, 8.0, None, None, "8", "b.md", 1, "inline", False),
        metrics_store.MetricPoint(day, None, None, None, "ok", "c.md", 1, "front", False),
    ]
    ((d, v, behind),) = daily_values(pts)
    assert (d, v, [p.rel for p in behind]) == (day, 7.0, ["a.md", "b.md"])


def test_sample_vault_has_months_of_metrics_in_three_conventions(sample_journal: Journal) -> None:
    store = _fresh(sample_journal)
    names = {m.name: m for m in store.metrics()}
    assert {"sleep", "mood", "exercise", "bp"} <= set(names)
    sleep = names["sleep"]
    assert sleep.n >= 60 and (sleep.last - sleep.first).days >= 150
    assert names["mood"].n >= 30 and names["mood"].n_text >= 80  # numbers and words both kept
    assert names["exercise"].unit == "min"
    sources = {p.source for name in ("sleep", "mood", "exercise") for p in store.series(name)}
    assert sources == {"front", "inline", "tag"}
    bp = store.series("bp")
    assert [(p.value, p.value2) for p in bp] == [(139.0, 89.0), (131.0, 84.0)]
    # private entries' values stay out of the public view
    assert len(store.series("sleep", include_private=False)) < len(store.series("sleep"))
