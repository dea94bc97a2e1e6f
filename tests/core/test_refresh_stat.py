"""Refresh by stat walk: only files whose (size, mtime, ctime, inode) moved are read, the
digest confirms a change, and nothing the user did to a file goes unseen."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me import statcache
from journal_me.api import Journal
from journal_me.memory.graph_store import store_path
from journal_me.statcache import StatCache, stat_key

OLD = time.time() - 3600  # mtimes well before any walk: not "racily clean"

ENTRIES = {
    "2026-01-05.md": "Bouldering at the Depot with Dev. My forearms are jelly.\n",
    "2026-01-06.md": "Knee pain on the stairs after the run. #running\n",
    "notes/reading.md": "# Reading list\n\nPiranesi, The Overstory, Braiding Sweetgrass.\n",
}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in ENTRIES.items():
        write(vault, rel, text, mtime=OLD)
    j = open_journal(vault)
    first = j.reindex()
    assert first.added == len(ENTRIES)
    return j


class Reads:
    """Counts the files a refresh reads and whether it read the whole index manifest."""

    def __init__(self, journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        self.manifest = 0
        real_read = journal._vault.read_bytes
        real_manifest = journal._index.manifest

        def read_bytes(rel: str) -> tuple[bytes, float]:
            self.files.append(rel)
            return real_read(rel)

        def manifest() -> dict[str, str]:
            self.manifest += 1
            return real_manifest()

        monkeypatch.setattr(journal._vault, "read_bytes", read_bytes)
        monkeypatch.setattr(journal._index, "manifest", manifest)


def _counts(report: object) -> tuple[int, int, int, int]:
    return (report.added, report.updated, report.removed, report.unchanged)  # type: ignore[attr-defined]


def _hits(journal: Journal, query: str) -> set[str]:
    return {h.entry.rel for h in journal.search(query)}


def test_nothing_changed_reads_no_file_and_no_manifest(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(journal, monkeypatch)
    report = journal.reindex()
    assert _counts(report) == (0, 0, 0, 3)
    assert reads.files == [] and reads.manifest == 0


def test_cache_file_is_owner_only(journal: Journal) -> None:
    path = journal.data_dir / statcache.CACHE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cache = StatCache.load(path)
    assert cache is not None and set(cache.files) == set(ENTRIES)


def test_cache_is_not_named_json_and_replaces_the_old_plain_one(journal: Journal, vault: Path) -> None:
    # compressed: a name ending in .json would promise JSON to anyone who opens it
    assert not statcache.CACHE_NAME.endswith(".json")
    old = journal.data_dir / "refresh.json"
    old.write_text('{"version": 1}', encoding="utf-8")
    (vault / "2026-01-06.md").write_text(ENTRIES["2026-01-06.md"] + "\nmore\n", encoding="utf-8")
    journal.reindex()
    assert not old.exists()
    assert (journal.data_dir / statcache.CACHE_NAME).is_file()


def test_edit_same_size_old_mtime_is_seen(
    journal: Journal, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vault / "2026-01-06.md"
    before = path.stat()
    text = ENTRIES["2026-01-06.md"].replace("Knee", "Hips")  # same size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the old mtime back
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    reads = Reads(journal, monkeypatch)
    report = journal.reindex()
    assert _counts(report) == (0, 1, 0, 2)
    assert reads.files == ["2026-01-06.md"] and reads.manifest == 0
    assert "2026-01-06.md" in _hits(journal, "hips")


def test_file_replaced_by_rename_is_seen(journal: Journal, vault: Path) -> None:
    """An editor's atomic save: a new file renamed over the old one, same size and mtime."""
    path = vault / "2026-01-05.md"
    before = path.stat()
    tmp = vault / ".2026-01-05.md.swp"
    tmp.write_text(ENTRIES["2026-01-05.md"].replace("Depot", "Crags"), encoding="utf-8")
    os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(tmp, path)
    report = journal.reindex()
    assert _counts(report) == (0, 1, 0, 2)
    assert "2026-01-05.md" in _hits(journal, "crags")


def test_touched_but_unchanged_is_not_reindexed(
    journal: Journal, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.utime(vault / "notes/reading.md", (OLD + 60, OLD + 60))
    written: list[int] = []
    real_write = journal._index.write

    def spy(*args: object, **kwargs: object) -> None:
        written.append(1)
        real_write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(journal._index, "write", spy)
    reads = Reads(journal, monkeypatch)
    assert _counts(journal.reindex()) == (0, 0, 0, 3)
    assert reads.files == ["notes/reading.md"] and written == []
    # the new stat is recorded: the next refresh reads nothing
    reads.files.clear()
    journal.reindex()
    assert reads.files == []


def test_rename_and_delete(journal: Journal, vault: Path) -> None:
    os.rename(vault / "notes/reading.md", vault / "notes/books.md")
    (vault / "2026-01-06.md").unlink()
    report = journal.reindex()
    assert _counts(report) == (1, 0, 2, 1)
    assert _hits(journal, "piranesi") == {"notes/books.md"}
    assert _hits(journal, "knee") == set()
    assert set(journal._graph.known_entries()) == {"2026-01-05.md", "notes/books.md"}


def test_new_file_and_unreadable_file(journal: Journal, vault: Path, write: Callable[..., Path]) -> None:
    write(vault, "2026-01-08.md", "Swam at the lido with Mara.\n", mtime=OLD)
    write(vault, "2026-01-09.md", b"\xff\xfe\x00broken", mtime=OLD)
    report = journal.reindex()
    assert report.added == 1 and len(report.warnings) == 1
    again = journal.reindex()  # the warning stays while the file does, unread
    assert _counts(again) == (0, 0, 0, 5) and [w.rel for w in again.warnings] == ["2026-01-09.md"]
    (vault / "2026-01-09.md").unlink()
    assert journal.reindex().warnings == []


def test_racily_clean_file_is_hashed_again() -> None:
    """A stat recorded within the clock tick of the walk cannot vouch for the content."""
    now = time.time_ns()

    def fake(mtime_ns: int) -> os.stat_result:
        fields = (0o100644, 7, 1, 1, 0, 0, 10, 0, mtime_ns // 10**9, 0)
        return os.stat_result(fields, {"st_mtime_ns": mtime_ns, "st_ctime_ns": mtime_ns})

    st = fake(now - 3600 * 10**9)
    key = stat_key(st)
    fresh = fake(now - 10**9)
    cache = StatCache(files={"a.md": statcache.Seen(key, "d")}, walked_ns=now)
    assert not cache.needs_read("a.md", st)  # mtime far before the walk
    cache.files["b.md"] = statcache.Seen(stat_key(fresh), "d")
    assert cache.needs_read("b.md", fresh)  # same stat, but within the racy window
    later = StatCache(files=dict(cache.files), walked_ns=now + 10 * statcache.RACY_NS)
    assert not later.needs_read("b.md", fresh)


def test_same_second_edit_same_size_is_seen(journal: Journal, vault: Path) -> None:
    """Written, refreshed and written again within one mtime tick, same size."""
    path = vault / "2026-01-05.md"
    path.write_text("Tea with Ines at the harbour cafe.\n", encoding="utf-8")
    journal.reindex()
    st = path.stat()
    path.write_text("Tea with Olga at the harbour cafe.\n", encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _counts(journal.reindex())[1] == 1
    assert "2026-01-05.md" in _hits(journal, "olga")


def test_update_paths_keeps_the_cache_in_step(
    journal: Journal,
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The TUI or watch (another Journal) indexed a change: the next refresh still reads
    neither the manifest nor any file it need not."""
    other = open_journal(vault)
    write(vault, "2026-01-10.md", "Ferry to the island with Dev.\n", mtime=OLD)
    other.update_paths(["2026-01-10.md"])
    reads = Reads(journal, monkeypatch)
    report = journal.reindex()
    assert _counts(report) == (0, 0, 0, 4)
    assert reads.manifest == 0 and reads.files == []
    assert "2026-01-10.md" in _hits(journal, "ferry")


def test_index_written_without_the_cache_reconciles(
    journal: Journal, vault: Path, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index changed behind the cache's back (an older journal-me, a restored backup):
    the whole index is compared once; files whose stat matches are still not read."""
    write(vault, "2026-01-10.md", "Ferry to the island with Dev.\n", mtime=OLD)
    entry = journal._vault.read("2026-01-10.md")
    journal._graph.apply_batch([entry], [])
    journal._index.write([journal._indexed(entry)], [])
    reads = Reads(journal, monkeypatch)
    report = journal.reindex()
    assert _counts(report) == (0, 0, 0, 4)
    assert reads.manifest == 1 and reads.files == ["2026-01-10.md"]
    reads.manifest = 0
    journal.reindex()
    assert reads.manifest == 0  # in step again


def test_deleted_graph_store_is_refilled(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(store_path(journal.data_dir)) + suffix).unlink(missing_ok=True)
    fresh = open_journal(vault)
    fresh.reindex()
    assert set(fresh._graph.known_entries()) == set(ENTRIES)


def test_rebuild_reads_everything(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(journal, monkeypatch)
    report = journal.reindex(rebuild=True)
    assert report.added == 3 and sorted(reads.files) == sorted(ENTRIES)
