"""Derived state that is damaged, half-built or of the wrong shape: rebuilt with a note, never
a traceback; a transient failure never deletes a good index."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import index as windex

from journal_me.api import Journal
from journal_me.memory.index import INDEX_NAME, IndexLockedError, PassageIndex

ENTRIES = {
    "2026-01-05.md": "Bouldering at the Depot with Dev. My forearms are jelly.\n",
    "2026-01-06.md": "Knee pain on the stairs after the run. #running\n",
}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    j = open_journal(vault)
    j.reindex()
    return j


# -- a killed rebuild ------------------------------------------------------------------------
class Killed(BaseException):
    """Stands for kill -9 between the rebuild's clear and its commit."""


def test_a_rebuild_killed_before_its_commit_leaves_the_index_marked_incomplete(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not journal._index.incomplete

    def killed(*args: object, **kwargs: object) -> int:
        raise Killed

    monkeypatch.setattr(journal._index, "write", killed)
    with pytest.raises(Killed):
        journal.reindex(rebuild=True)
    journal.close()

    # the next process, searching without refreshing: no hits, and it can say why
    later = open_journal(vault)
    assert later._index.incomplete
    assert later.search("bouldering") == []
    # the next index completes it
    report = later.reindex()
    assert report.added == 2
    assert not later._index.incomplete
    assert later.search("bouldering")[0].entry.rel == "2026-01-05.md"


def test_clear_marks_incomplete_until_the_first_commit(tmp_path: Path) -> None:
    ix = PassageIndex(tmp_path / "index")
    assert not ix.incomplete  # a new index is not a broken rebuild
    ix.clear()
    assert ix.incomplete
    ix.close()
    again = PassageIndex(tmp_path / "index")  # survives the process
    assert again.incomplete
    again.write([])
    assert not again.incomplete
    again.clear()
    again.finish_rebuild()  # a rebuild of an empty vault writes nothing
    assert not again.incomplete
    again.close()


# -- an index that is not an index -----------------------------------------------------------
def test_index_path_that_is_a_file_is_rebuilt_with_a_note(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    index_dir = journal.settings.index_dir
    journal.close()
    for child in index_dir.iterdir():
        child.unlink()
    index_dir.rmdir()
    index_dir.write_text("not an index\n")
    reopened = open_journal(vault)
    assert reopened._index.recovered is not None and "rebuilt" in reopened._index.recovered
    assert "file" in reopened._index.recovered
    assert index_dir.is_dir()
    assert reopened.reindex().added == 2
    assert reopened.search("bouldering")[0].entry.rel == "2026-01-05.md"


def test_index_folder_of_junk_is_rebuilt(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    index_dir = journal.settings.index_dir
    journal.close()
    for child in index_dir.iterdir():
        if child.name != "SCHEMA_VERSION":
            child.write_bytes(b"\xff\x00junk" * 9)
    (index_dir / "stray-folder").mkdir()
    reopened = open_journal(vault)
    assert reopened._index.recovered is not None
    assert reopened.reindex().added == 2
    assert reopened.search("knee stairs")[0].entry.rel == "2026-01-06.md"


def test_a_transient_open_failure_does_not_rebuild(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's commit can delete the segment we were opening: retried, not rebuilt."""
    journal.close()
    real_open = windex.open_dir
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise FileNotFoundError("journal_abc123.seg vanished under a merge")
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(windex, "open_dir", flaky)
    reopened = open_journal(vault)
    assert reopened._index.recovered is None  # (the index opens on first use)
    assert calls["n"] >= 2  # failed once, then opened
    assert reopened._index.doc_count() > 0  # the good index is still there
    assert reopened.search("bouldering")[0].entry.rel == "2026-01-05.md"


def test_an_unreadable_index_held_by_a_live_writer_is_not_deleted(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = journal.settings.index_dir
    writer = windex.open_dir(str(index_dir), indexname=INDEX_NAME).writer()  # another process
    try:

        def broken(*args: object, **kwargs: object) -> object:
            raise OSError("transient read error")

        monkeypatch.setattr(windex, "open_dir", broken)
        before = sorted(p.name for p in index_dir.iterdir())
        with pytest.raises(IndexLockedError):
            PassageIndex(index_dir, lock_timeout=0.1)
        assert sorted(p.name for p in index_dir.iterdir()) == before
    finally:
        writer.cancel()


def test_permission_error_is_reported_not_rebuilt(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    from journal_me.memory.index import IndexUnavailableError

    index_dir = journal.settings.index_dir

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(windex, "open_dir", denied)
    before = sorted(p.name for p in index_dir.iterdir())
    with pytest.raises(IndexUnavailableError, match=r"cannot open the index .*left as it is"):
        PassageIndex(index_dir)
    assert sorted(p.name for p in index_dir.iterdir()) == before


def _snapshot(index_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(index_dir.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (OSError(errno.EMFILE, "Too many open files"), "too many open files"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (PermissionError(errno.EACCES, "Permission denied"), "permissions"),
        (OSError("a network share went away"), "try again"),
        (MemoryError(), "try again"),
    ],
    ids=["EMFILE", "ENOSPC", "EACCES", "other-OSError", "MemoryError"],
)
def test_a_failure_of_the_machine_keeps_the_index_and_says_what_happened(
    journal: Journal, monkeypatch: pytest.MonkeyPatch, error: BaseException, hint: str
) -> None:
    """Only damaged files rebuild (40 s at 10k entries): a lock, a file-handle limit or a
    permission problem leaves every file of the index as it was."""
    from journal_me.memory.index import REBUILD_MARKER, IndexUnavailableError

    index_dir = journal.settings.index_dir
    journal.close()
    before = _snapshot(index_dir)
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        raise error

    monkeypatch.setattr(windex, "open_dir", failing)
    with pytest.raises(IndexUnavailableError, match="left as it is") as raised:
        PassageIndex(index_dir)
    assert hint in str(raised.value)
    assert type(error).__name__ in str(raised.value)  # what happened
    assert calls["n"] == 1  # not retried three times before giving up
    assert _snapshot(index_dir) == before
    assert not (index_dir / REBUILD_MARKER).exists()
    monkeypatch.undo()
    assert PassageIndex(index_dir).doc_count() > 0  # still the good index


def test_a_garbled_table_of_contents_is_rebuilt(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    index_dir = journal.settings.index_dir
    journal.close()
    tocs = [p for p in index_dir.iterdir() if p.suffix == ".toc"]
    assert tocs
    for p in tocs:
        p.write_bytes(b"\x00not a table of contents\xff" * 3)
    reopened = open_journal(vault)
    assert reopened._index.recovered is not None and "rebuilt" in reopened._index.recovered
    assert reopened.reindex().added == 2
    assert reopened.search("bouldering")[0].entry.rel == "2026-01-05.md"


def test_missing_segment_files_are_rebuilt(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    index_dir = journal.settings.index_dir
    journal.close()
    segments = [p for p in index_dir.iterdir() if p.suffix == ".seg"]
    assert segments
    for p in segments:
        p.unlink()
    reopened = open_journal(vault)
    assert reopened._index.recovered is not None and "rebuilt" in reopened._index.recovered
    assert "FileNotFoundError" in reopened._index.recovered
    assert reopened.reindex().added == 2
    assert reopened.search("knee stairs")[0].entry.rel == "2026-01-06.md"


# -- graph.json of earlier versions, of any shape: deleted, the store is filled ------------
@pytest.mark.parametrize("content", ["null", "[]", '{"format": 3, "entries": {"x.md": []}}'])
def test_journal_rebuilds_a_wrong_shape_graph_file(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal], content: str
) -> None:
    graph_file = journal.settings.graph_file
    journal.close()
    graph_file.write_text(content, encoding="utf-8")
    reopened = open_journal(vault)
    reopened.reindex()
    assert [p.rel for p in reopened.timeline("Dev")] == ["2026-01-05.md"]
