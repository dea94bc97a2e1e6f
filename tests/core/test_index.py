"""The Whoosh passage index: incremental by content hash, rebuild, corruption, locking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from whoosh import index as windex

from journal_me.api import Journal
from journal_me.memory.graph_store import store_path
from journal_me.memory.index import INDEX_NAME, IndexedEntry, IndexLockedError

ENTRIES = {
    "2026-01-05.md": "Bouldering at the Depot with Dev. My forearms are jelly.\n\nDinner: lentil soup.\n",
    "2026-01-06.md": "Knee pain on the stairs after the run. #running\n",
    "2026-01-07.md": (
        "---\ntitle: Physio\ntags: [health]\n---\nFiona gave me strength exercises for the knee.\n"
    ),
    "notes/reading.md": "# Reading list\n\nPiranesi, The Overstory, Braiding Sweetgrass.\n",
}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    return open_journal(vault)


def _passage_rels(journal: Journal) -> dict[str, int]:
    out: dict[str, int] = {}
    for doc in journal._index.searcher().documents(kind="passage"):
        out[doc["rel"]] = out.get(doc["rel"], 0) + 1
    return out


def test_first_index_then_all_unchanged(journal: Journal) -> None:
    first = journal.reindex()
    assert (first.added, first.updated, first.removed, first.unchanged) == (4, 0, 0, 0)
    assert _passage_rels(journal) == {
        "2026-01-05.md": 1,
        "2026-01-06.md": 1,
        "2026-01-07.md": 1,
        "notes/reading.md": 1,
    }
    second = journal.reindex()
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 4)
    assert "4 unchanged" in second.summary()


def test_editing_one_file_reindexes_only_it(
    journal: Journal, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal.reindex()
    written: list[str] = []
    real_write = journal._index.write

    def spy(add, delete=()):  # type: ignore[no-untyped-def]
        add = list(add)
        written.extend(item.entry.rel for item in add)
        return real_write(add, delete)

    monkeypatch.setattr(journal._index, "write", spy)
    (vault / "2026-01-06.md").write_text(
        "Knee is better; swam twenty lengths instead. #swimming\n", encoding="utf-8"
    )
    report = journal.reindex()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 3)
    assert written == ["2026-01-06.md"]
    assert journal.search("swam lengths")[0].entry.rel == "2026-01-06.md"
    assert all(h.entry.rel != "2026-01-06.md" for h in journal.search("stairs"))
    # touching a file without changing its bytes is not a change
    (vault / "2026-01-05.md").touch()
    assert journal.reindex().changed == 0


def test_deleting_a_file_removes_its_passages(journal: Journal, vault: Path) -> None:
    journal.reindex()
    (vault / "2026-01-05.md").unlink()
    report = journal.reindex()
    assert report.removed == 1
    assert "2026-01-05.md" not in _passage_rels(journal)
    assert list(journal._index.passages_of("2026-01-05.md")) == []
    assert journal.search("bouldering lentil") == []
    assert "2026-01-05.md" not in {e.rel for e in journal.entries()}
    assert journal.timeline("Dev") == []


def test_rebuild(journal: Journal) -> None:
    journal.reindex()
    before = sorted((h.entry.rel, h.line_start) for h in journal.search("knee"))
    report = journal.reindex(rebuild=True)
    assert (report.added, report.unchanged) == (4, 0)
    assert sorted((h.entry.rel, h.line_start) for h in journal.search("knee")) == before


def test_hits_carry_passages_with_line_spans(journal: Journal, vault: Path) -> None:
    journal.reindex()
    hit = journal.search("Fiona strength exercises")[0]
    assert (hit.entry.rel, hit.line_start, hit.line_end) == ("2026-01-07.md", 5, 5)
    lines = (vault / hit.entry.rel).read_text(encoding="utf-8").split("\n")
    assert lines[hit.line_start - 1] == hit.passage


def _garble(index_dir: Path) -> list[str]:
    names = []
    for path in index_dir.iterdir():
        if path.is_file() and path.name != "SCHEMA_VERSION":
            path.write_bytes(b"\x00garbage\xff" * 7)
            names.append(path.name)
    return names


def test_corrupt_index_is_rebuilt_with_a_note(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal.reindex()
    index_dir = journal.settings.index_dir
    journal.close()
    assert _garble(index_dir)
    reopened = open_journal(vault)
    assert reopened._index.recovered is not None
    assert "rebuilt" in reopened._index.recovered
    report = reopened.reindex()
    assert report.recovered is not None and "rebuilt" in report.recovered
    assert report.added == 4
    assert reopened.search("bouldering")[0].entry.rel == "2026-01-05.md"
    assert reopened._index.recovered is None


def test_corrupt_segment_files_only(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal.reindex()
    index_dir = journal.settings.index_dir
    journal.close()
    segs = [p for p in index_dir.iterdir() if p.suffix == ".seg"]
    assert segs
    for p in segs:
        p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3])
    reopened = open_journal(vault)
    reopened.reindex()
    assert reopened.search("bouldering")[0].entry.rel == "2026-01-05.md"


def test_deleted_or_garbled_graph_file_is_rebuilt(
    journal: Journal, vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal.reindex()
    graph_file = store_path(journal.data_dir)
    journal.close()
    graph_file.write_text("{not json", encoding="utf-8")
    reopened = open_journal(vault)
    reopened.reindex()
    assert [p.rel for p in reopened.timeline("Dev")] == ["2026-01-05.md"]
    reopened.close()
    graph_file.unlink()
    Path(f"{graph_file}-wal").unlink(missing_ok=True)
    Path(f"{graph_file}-shm").unlink(missing_ok=True)
    third = open_journal(vault)
    third.reindex()
    assert [p.rel for p in third.timeline("Dev")] == ["2026-01-05.md"]


def test_held_lock_times_out_with_a_clear_message(journal: Journal, vault: Path) -> None:
    journal.reindex()
    other = windex.open_dir(str(journal.settings.index_dir), indexname=INDEX_NAME)
    holder = other.writer()  # another process's writer holds the lock
    try:
        messages: list[str] = []
        journal._index.lock_timeout = 0.4
        journal._index.on_wait = messages.append
        (vault / "2026-01-08.md").write_text("A new day.\n", encoding="utf-8")
        start = time.monotonic()
        with pytest.raises(IndexLockedError, match="locked by another journal-me process") as err:
            journal.reindex()
        assert time.monotonic() - start >= 0.4
        assert str(journal.settings.index_dir) in str(err.value)
        assert messages and "waiting" in messages[0]
    finally:
        holder.cancel()
        other.close()
    # once the lock is free, the same reindex goes through
    report = journal.reindex()
    assert report.added == 1
    assert journal.search("new day")[0].entry.rel == "2026-01-08.md"


def test_held_lock_is_waited_for(journal: Journal, vault: Path) -> None:
    journal.reindex()
    other = windex.open_dir(str(journal.settings.index_dir), indexname=INDEX_NAME)
    holder = other.writer()
    released = threading.Event()

    def release() -> None:
        time.sleep(0.4)
        holder.cancel()
        released.set()

    messages: list[str] = []
    journal._index.lock_timeout = 10
    journal._index.on_wait = messages.append
    (vault / "2026-01-08.md").write_text("Waited for the lock.\n", encoding="utf-8")
    thread = threading.Thread(target=release)
    thread.start()
    try:
        report = journal.reindex()
    finally:
        thread.join()
        other.close()
    assert released.is_set()
    assert report.added == 1
    assert messages == ["index is busy in another journal-me process, waiting…"]


def test_search_during_a_long_write_answers_from_the_last_commit(journal: Journal, vault: Path) -> None:
    """A first index of a big vault writes for a minute: searches must not wait for it."""
    journal.reindex()
    (vault / "2026-01-08.md").write_text("A heron on the canal.\n", encoding="utf-8")
    new_entry = journal._vault.read("2026-01-08.md")
    writing = threading.Event()
    finish = threading.Event()

    def slow_batch() -> Iterator[IndexedEntry]:
        writing.set()  # the writer now holds the index's write lock
        assert finish.wait(10)
        yield journal._indexed(new_entry)

    thread = threading.Thread(target=lambda: journal._index.write(slow_batch()))
    thread.start()
    try:
        assert writing.wait(5)
        start = time.monotonic()
        hits = journal.search("knee pain after the run")
        assert time.monotonic() - start < 2.0  # not the 10 s the writer could take
        assert hits and hits[0].entry.rel == "2026-01-06.md"
        assert journal.search("heron canal") == []  # not committed yet
    finally:
        finish.set()
        thread.join()
    assert journal.search("heron canal")[0].entry.rel == "2026-01-08.md"


def test_readers_do_not_wait_for_a_reindex(journal: Journal, vault: Path) -> None:
    """The TUI's side panel, people screen and search keep answering during a long reindex;
    a second writer waits its turn."""
    journal.reindex()
    (vault / "2026-01-09.md").write_text("Bouldering again with Dev. #climbing\n", encoding="utf-8")
    writing = threading.Event()
    finish = threading.Event()
    real_write = journal._index.write

    def slow_write(*args: object, **kwargs: object) -> int:
        writing.set()
        assert finish.wait(10)
        return real_write(*args, **kwargs)  # type: ignore[arg-type]

    journal._index.write = slow_write  # type: ignore[method-assign]
    thread = threading.Thread(target=journal.reindex)
    thread.start()
    second: list[float] = []
    writer2 = threading.Thread(target=lambda: second.append(journal.update_paths(["2026-01-09.md"]).seconds))
    try:
        assert writing.wait(5)
        writer2.start()
        start = time.monotonic()
        assert journal.search("knee pain after the run")[0].entry.rel == "2026-01-06.md"
        assert "Dev" in {e.name for e in journal.entities()}
        assert journal.timeline("Dev")
        assert journal.entries()
        assert time.monotonic() - start < 2.0
        assert writer2.is_alive()  # the second writer waits for the first
    finally:
        finish.set()
        thread.join()
        writer2.join()
    assert journal.search("bouldering again")[0].entry.rel == "2026-01-09.md"


def test_a_warm_search_reads_an_entry_once_and_sees_its_next_commit(
    journal: Journal, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passage hits take their entry's fields (title, privacy…) from the entry document, kept
    for the current searcher: read once across searches, read again after a commit."""
    from whoosh.searching import Searcher

    journal.reindex()
    looked_up: list[object] = []
    real = Searcher.document_number

    def counted(self: Searcher, **kw: object) -> int | None:
        looked_up.append(kw.get("id"))
        return real(self, **kw)  # type: ignore[no-any-return]

    monkeypatch.setattr(Searcher, "document_number", counted)
    first = journal.search("knee", include_private=True)
    assert {h.entry.rel for h in first} == {"2026-01-06.md", "2026-01-07.md"}
    assert not any(h.entry.private for h in first)
    again = journal.search("knee stairs physio", include_private=True)
    assert [h.entry.title for h in again] and looked_up.count("2026-01-07.md") == 1
    (vault / "2026-01-07.md").write_text(
        "---\ntitle: Physio, private\nprivate: true\n---\nFiona gave me strength exercises for the knee.\n",
        encoding="utf-8",
    )
    journal.reindex()
    after = {h.entry.rel: h.entry for h in journal.search("knee", include_private=True)}
    assert after["2026-01-07.md"].private and after["2026-01-07.md"].title == "Physio, private"
    assert looked_up.count("2026-01-07.md") == 2
    assert "2026-01-07.md" not in {h.entry.rel for h in journal.search("knee", include_private=False)}
