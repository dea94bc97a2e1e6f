"""The refresh before every CLI command, when nothing changed: one stat walk compared with the
last refresh's stamp (statcache.STAMP_NAME), neither the refresh cache nor the graph read; and
every change still seen — an edit in the same clock tick, a same-size rewrite, a rename, a
deletion, another process's write. Also: the ignore globs' quick test agrees with fnmatch."""

from __future__ import annotations

import fnmatch
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me import statcache
from journal_me.api import Journal
from journal_me.config import DEFAULT_IGNORE
from journal_me.vault import Vault

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
    assert j.reindex().added == len(ENTRIES)
    return j


class Slow:
    """Counts what only the slow refresh does: loading the refresh cache, reading the graph's
    entries, reading a file."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, journal: Journal) -> None:
        self.loads = self.graph = self.reads = 0
        real_load = statcache.StatCache.load.__func__  # type: ignore[attr-defined]
        real_read = journal._vault.read_bytes

        def load(cls: type[statcache.StatCache], path: Path) -> statcache.StatCache | None:
            self.loads += 1
            return real_load(cls, path)  # type: ignore[no-any-return]

        def read_bytes(rel: str) -> tuple[bytes, float]:
            self.reads += 1
            return real_read(rel)

        monkeypatch.setattr(statcache.StatCache, "load", classmethod(load))
        monkeypatch.setattr(journal._vault, "read_bytes", read_bytes)
        graph = journal._graph
        real_known = graph.known_entries

        def known() -> object:
            self.graph += 1
            return real_known()

        monkeypatch.setattr(graph, "known_entries", known)

    @property
    def total(self) -> int:
        return self.loads + self.graph + self.reads


def test_nothing_changed_reads_neither_the_cache_nor_the_graph(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal.reindex()  # (the first refresh after an index writes the stamp)
    assert (journal.data_dir / statcache.STAMP_NAME).exists()
    slow = Slow(monkeypatch, journal)
    report = journal.reindex()
    assert (report.changed, report.unchanged) == (0, len(ENTRIES))
    assert slow.total == 0
    assert oct((journal.data_dir / statcache.STAMP_NAME).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("change", ["same size, same mtime", "new file", "deleted", "renamed"])
def test_every_change_is_seen(
    journal: Journal, vault: Path, write: Callable[..., Path], change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal.reindex()
    slow = Slow(monkeypatch, journal)
    if change == "same size, same mtime":
        path = vault / "2026-01-06.md"
        st = path.stat()
        text = "Knee ache on the stairs after the swim #running\n"
        assert len(text) == st.st_size
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old mtime put back
        report = journal.reindex()
        assert report.updated == 1
        assert [h.entry.rel for h in journal.search("swim")] == ["2026-01-06.md"]
    elif change == "new file":
        write(vault, "2026-01-07.md", "Swam twenty lengths.\n", mtime=OLD)
        assert journal.reindex().added == 1
    elif change == "deleted":
        (vault / "2026-01-05.md").unlink()
        assert journal.reindex().removed == 1
        assert journal.search("bouldering") == []
    else:
        (vault / "notes/reading.md").rename(vault / "notes/books.md")
        report = journal.reindex()
        assert (report.added, report.removed) == (1, 1)
    assert slow.total > 0
    slow.loads = slow.graph = slow.reads = 0
    journal.reindex()  # and then quiet again (the stamp was rewritten)
    assert journal.reindex().changed == 0 and slow.total == 0


def test_an_edit_in_the_same_clock_tick_is_seen(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a file system with coarse timestamps an edit in the tick of the last refresh's walk
    leaves size, mtime, ctime and inode as they were: a file whose mtime is that close to
    the stamp's walk is read again ("racily clean"), never taken as unchanged."""
    path = write(vault, "2026-01-05.md", "Bouldering at the Depot with Dev.\n")  # mtime: now
    journal = open_journal(vault)
    journal.reindex()
    before = journal._vault.stat_walk([])
    journal.reindex()  # (writes the stamp: nothing changed)
    path.write_text("Bouldering at the Depot with Fi.\n", encoding="utf-8")  # same size
    monkeypatch.setattr(journal._vault, "stat_walk", lambda warnings=None, leftovers=None: dict(before))
    assert journal.reindex().updated == 1
    assert [h.entry.rel for h in journal.search("Fi")] == ["2026-01-05.md"]


def test_another_process_writing_the_index_or_graph_is_seen(
    journal: Journal, vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    journal.reindex()
    other = open_journal(vault)
    write(vault, "2026-01-07.md", "Swam twenty lengths.\n", mtime=OLD)
    other.update_paths(["2026-01-07.md"])  # the TUI saving an entry
    other.close()
    assert journal.reindex().changed == 0  # indexed already: the slow path checked
    assert [h.entry.rel for h in journal.search("lengths")] == ["2026-01-07.md"]
    # the graph store replaced behind our back: not trusted
    stamp = statcache.load_stamp(journal.data_dir / statcache.STAMP_NAME)
    assert stamp is not None
    stamp["graph"] = [[1, 2, 3], None]
    statcache.save_stamp(
        journal.data_dir / statcache.STAMP_NAME, {k: v for k, v in stamp.items() if k != "version"}
    )
    assert not journal._unchanged_since_stamp(statcache.walk_signature(journal._vault.stat_walk([])))


def test_a_broken_stamp_is_a_slow_refresh(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    journal.reindex()
    (journal.data_dir / statcache.STAMP_NAME).write_bytes(b"\x00garbage")
    slow = Slow(monkeypatch, journal)
    assert journal.reindex().changed == 0
    assert slow.loads == 1
    assert statcache.load_stamp(journal.data_dir / statcache.STAMP_NAME) is not None  # rewritten


def test_the_glob_quick_test_agrees_with_fnmatch() -> None:
    """Vault._ignored_by_glob tests a name only against globs that can match a name and runs
    the regex only where a glob's literal text is present: the same answers as fnmatch."""
    globsets = [
        list(DEFAULT_IGNORE),
        ["templates/*", "Daily/**", "x?y.md", "*draft*", "**/archive/**", "a*b", "*.tmp", "notes/*/old.md"],
        ["[a-c]*.md", "x", "**/4913"],
        ["*"],
    ]
    words = ["templates", "Daily", "xay.md", "draft", "archive", "a", "b", "c.md", "old.md", "notes"]
    words += [".git", "4913", "x", "foo.tmp", "bmd", "q", "a.swp", "~", ".obsidian", "é.md"]
    rng = random.Random(7)
    for globs in globsets:
        v = Vault(Path("/nonexistent"), ignore=globs)
        for _ in range(3000):
            rel = "/".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
            name = rel.rsplit("/", 1)[-1]
            expected = any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(name, g) for g in globs)
            assert v._ignored_by_glob(rel, name) == expected, (globs, rel)
