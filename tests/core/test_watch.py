"""The watch loop: a real watchdog (inotify) observer over a temp vault.

After each editor-style save the new text must be searchable within about a second; the
tests poll with a deadline instead of sleeping.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.watch import VaultWatcher, WatchStatus

from .conftest import wait_for

SEARCHABLE_WITHIN = 1.0  # seconds, the target
DEADLINE = 5.0  # polling gives up here (a loaded CI machine); the latency is asserted separately
DEBOUNCE_MS = 50


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    write(vault, "2026-01-01.md", "New year: a cold walk on Arthur's Seat.\n")
    write(vault, "notes/ideas.md", "Zine idea: canals at night.\n")
    j = open_journal(vault)
    j.reindex()
    return j


@pytest.fixture
def watcher(journal: Journal) -> Iterator[VaultWatcher]:
    statuses: list[WatchStatus] = []
    w = VaultWatcher(journal, polling=False, debounce_ms=DEBOUNCE_MS, on_update=lambda s: statuses.append(s))
    w.start()
    try:
        yield w
    finally:
        w.stop()
    assert w.status.state == "stopped"


def rels_for(journal: Journal, query: str) -> set[str]:
    return {h.entry.rel for h in journal.search(query, limit=20)}


def becomes(journal: Journal, query: str, expected: set[str]) -> float:
    """Poll until ``query`` finds exactly ``expected``; return the latency in seconds."""
    start = time.monotonic()
    ok = wait_for(lambda: rels_for(journal, query) == expected, DEADLINE)
    latency = time.monotonic() - start
    assert ok, f"{query!r}: {rels_for(journal, query)} != {expected} after {DEADLINE}s"
    return latency


def test_create_modify_delete(journal: Journal, watcher: VaultWatcher, vault: Path) -> None:
    latencies = []
    (vault / "2026-02-01.md").write_text("Saw an otter near the Shore.\n", encoding="utf-8")
    latencies.append(becomes(journal, "otter", {"2026-02-01.md"}))
    (vault / "2026-02-01.md").write_text("Saw a heron near the Shore.\n", encoding="utf-8")
    latencies.append(becomes(journal, "heron", {"2026-02-01.md"}))
    assert rels_for(journal, "otter") == set()
    (vault / "2026-02-01.md").unlink()
    latencies.append(becomes(journal, "heron", set()))
    assert "2026-02-01.md" not in {e.rel for e in journal.entries()}
    assert max(latencies) < SEARCHABLE_WITHIN, latencies


def test_move_and_folders(journal: Journal, watcher: VaultWatcher, vault: Path) -> None:
    (vault / "notes" / "ideas.md").rename(vault / "notes" / "zines.md")
    becomes(journal, "zine canals", {"notes/zines.md"})
    # moving a file out of the vault is a delete
    (vault / "notes" / "zines.md").rename(vault.parent / "outside.md")
    becomes(journal, "zine canals", set())
    # a folder moved in, then renamed, then deleted
    staging = vault.parent / "staging"
    staging.mkdir()
    (staging / "2026-03-01.md").write_text(
        "Pottery wheel: centred my first lump of clay.\n", encoding="utf-8"
    )
    staging.rename(vault / "pottery")
    becomes(journal, "pottery wheel clay", {"pottery/2026-03-01.md"})
    (vault / "pottery").rename(vault / "clay")
    becomes(journal, "pottery wheel clay", {"clay/2026-03-01.md"})
    for p in (vault / "clay").iterdir():
        p.unlink()
    (vault / "clay").rmdir()
    becomes(journal, "pottery wheel clay", set())


def test_vim_style_save(journal: Journal, watcher: VaultWatcher, vault: Path) -> None:
    note = vault / "2026-01-01.md"
    swap = vault / ".2026-01-01.md.swp"
    swap.write_bytes(b"b0VIM 9.0\x00" + b"swap junk about #penguins" * 20)
    backup = vault / "2026-01-01.md~"
    start = time.monotonic()
    note.rename(backup)  # vim: backupcopy=no renames the original away
    note.write_text("New year: a cold walk on Arthur's Seat, then soup with Sam.\n", encoding="utf-8")
    backup.unlink()
    swap.write_bytes(b"b0VIM 9.0\x00" + b"more swap #penguins" * 20)
    becomes(journal, "soup", {"2026-01-01.md"})
    assert time.monotonic() - start < SEARCHABLE_WITHIN
    swap.unlink()
    assert watcher.wait_idle(DEADLINE)
    assert rels_for(journal, "walk Arthur's Seat") == {"2026-01-01.md"}
    assert rels_for(journal, "penguins") == set()
    assert {e.rel for e in journal.entries()} == {"2026-01-01.md", "notes/ideas.md"}
    assert journal.warnings == []


def test_atomic_save(journal: Journal, watcher: VaultWatcher, vault: Path) -> None:
    tmp = vault / ".2026-01-01.md.tmp"
    tmp.write_text("Rewritten atomically: the kettle sang.\n", encoding="utf-8")
    os.replace(tmp, vault / "2026-01-01.md")
    latency = becomes(journal, "kettle sang", {"2026-01-01.md"})
    assert rels_for(journal, "Arthur's Seat") == set()
    # an editor's own temp name (no dot) that is not markdown is ignored too
    tmp2 = vault / "2026-01-01.md.tmp"
    tmp2.write_text("Second save: the kettle boiled dry.\n", encoding="utf-8")
    os.replace(tmp2, vault / "2026-01-01.md")
    latency = max(latency, becomes(journal, "boiled dry", {"2026-01-01.md"}))
    assert latency < SEARCHABLE_WITHIN
    assert {e.rel for e in journal.entries()} == {"2026-01-01.md", "notes/ideas.md"}


def test_a_burst_of_writes_is_debounced(journal: Journal, vault: Path) -> None:
    reports = []

    def on_update(status: WatchStatus) -> None:
        if status.state == "watching" and status.last_report is not None:
            reports.append(status.last_report)

    with VaultWatcher(journal, debounce_ms=300, on_update=on_update) as w:
        note = vault / "2026-01-05.md"
        for i in range(10):
            note.write_text(f"draft {i} of the story about a fox\n", encoding="utf-8")
        becomes(journal, "fox", {"2026-01-05.md"})
        assert w.wait_idle(DEADLINE)
    assert sum(r.added + r.updated for r in reports) == 1
    assert journal.search("fox")[0].passage == "draft 9 of the story about a fox"


def test_bad_file_while_watching_is_a_warning_not_a_crash(
    journal: Journal, watcher: VaultWatcher, vault: Path
) -> None:
    (vault / "bad.md").write_bytes(b"\xff\xfe\x00 binary")
    (vault / "2026-01-09.md").write_text("Still indexed: a puffin.\n", encoding="utf-8")
    becomes(journal, "puffin", {"2026-01-09.md"})
    assert wait_for(lambda: [w.rel for w in journal.warnings] == ["bad.md"], DEADLINE)
    assert watcher.wait_idle(DEADLINE)
    assert watcher.status.state == "watching"
    assert "1 warning" in watcher.status.describe()


def test_polling_observer(journal: Journal, vault: Path) -> None:
    with VaultWatcher(journal, polling=True, debounce_ms=DEBOUNCE_MS, poll_interval=0.1):
        (vault / "2026-01-10.md").write_text("Polled: a seal in the harbour.\n", encoding="utf-8")
        becomes(journal, "seal harbour", {"2026-01-10.md"})


def test_watching_a_vault_with_symlink_loops(journal: Journal, vault: Path) -> None:
    (vault / "loop").symlink_to(vault, target_is_directory=True)
    (vault / "notes" / "up").symlink_to("..", target_is_directory=True)
    assert {w.rel for w in journal.reindex().warnings} == {"loop", "notes/up"}
    with VaultWatcher(journal, debounce_ms=DEBOUNCE_MS) as w:
        (vault / "notes" / "2026-01-11.md").write_text("Loops do not stop a curlew.\n", encoding="utf-8")
        becomes(journal, "curlew", {"notes/2026-01-11.md"})
        assert w.wait_idle(DEADLINE)
        assert w.status.state == "watching"


def test_a_failed_update_is_retried(
    journal: Journal, vault: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A save that arrives while the index is unusable (locked by another process, say) is
    not lost: the watcher tries the path again a little later."""
    real = journal.update_paths
    calls = {"n": 0}

    def flaky(rels: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("index locked")
        return real(rels)  # type: ignore[arg-type]

    monkeypatch.setattr(journal, "update_paths", flaky)
    statuses: list[str] = []
    with VaultWatcher(journal, polling=False, debounce_ms=30, on_update=lambda s: statuses.append(s.state)):
        (vault / "retry.md").write_text("a heron stood on the weir\n", encoding="utf-8")
        assert wait_for(lambda: rels_for(journal, "heron weir") == {"retry.md"}, timeout=5)
    assert calls["n"] >= 2 and "error" in statuses
    logged = [r for r in caplog.records if r.name == "journal_me.watch" and r.exc_info]
    assert logged and "index locked" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_a_failing_status_callback_is_logged_and_watching_goes_on(
    journal: Journal, vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_status: WatchStatus) -> None:
        raise ValueError("the status bar is gone")

    with (
        caplog.at_level("ERROR", logger="journal_me.watch"),
        VaultWatcher(journal, polling=False, debounce_ms=30, on_update=broken),
    ):
        (vault / "cb.md").write_text("a kingfisher on the canal\n", encoding="utf-8")
        assert wait_for(lambda: rels_for(journal, "kingfisher") == {"cb.md"}, timeout=5)
    failures = [r for r in caplog.records if r.name == "journal_me.watch" and r.exc_info]
    assert failures and "the status bar is gone" in str(failures[0].exc_info[1])  # type: ignore[index]
