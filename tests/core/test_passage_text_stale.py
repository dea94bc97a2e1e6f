"""Passage texts read back from the file (memory/passage_text.py) fail closed: a file changed
since it was indexed shows no text, so text the index never saw — possibly in an entry since
marked private — cannot reach a hit before the refresh catches up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from journal_me.memory.passage_text import FileLines

BODY = "# Tuesday\n\nWalked along the quarry with Ilse, talked about pottery glazes.\n"


def test_a_search_shows_the_passage_read_back_from_the_file(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., object]
) -> None:
    write(vault, "2026-03-03.md", BODY)
    journal = open_journal(vault, reindex=True)
    hits = journal.search("pottery glazes")  # type: ignore[attr-defined]
    assert hits and "pottery glazes" in hits[0].passage


def test_a_file_changed_since_indexed_shows_no_text(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., object]
) -> None:
    path = write(vault, "2026-03-03.md", BODY)
    journal = open_journal(vault, reindex=True)
    # Another program rewrites the entry (same lines, new words, now private): no refresh yet.
    path.write_text(
        "---\nprivate: true\n---\n# Tuesday\n\nThe diagnosis, pottery glazes aside.\n",
        encoding="utf-8",
    )
    hits = journal.search("pottery glazes")  # type: ignore[attr-defined]
    assert hits, "the index has not seen the change: the entry is still a hit"
    assert all("diagnosis" not in h.passage and "private" not in h.passage for h in hits)
    assert all(h.passage == "" for h in hits if h.entry.rel == "2026-03-03.md")


def test_the_digest_guards_the_cached_lines_too(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "a.md"
    path.write_text("one\ntwo\n", encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    files = FileLines()
    assert files.passage(path, 2, 2, digest=digest) == "two"
    assert files.passage(path, 2, 2, digest="0" * 64) == ""  # same stamp, other digest
    assert files.passage(path, 2, 2) == "two"  # no digest given: the file as it is


def test_a_search_reads_only_the_texts_it_returns(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., object]
) -> None:
    # 30 entries all match; a search for 3 hits reads 3 files' passages, not every candidate's
    for i in range(30):
        write(vault, f"2026-03-{i + 1:02d}.md", f"# Day {i}\n\nPottery class number {i}, glazes again.\n")
    journal: Any = open_journal(vault, reindex=True)
    retriever = journal._retriever
    retriever._files = FileLines()  # nothing read yet
    hits = journal.search("pottery glazes", limit=3)
    assert len(hits) == 3
    assert all("Pottery class" in h.passage and h.highlights for h in hits)
    assert set(retriever._files._cache) == {str(vault / h.entry.rel) for h in hits}
    # the same texts as reading each hit's lines eagerly
    for h in hits:
        eager = [p for p in retriever.passages_of(h.entry.rel) if p.line_start == h.line_start]
        assert eager and eager[0].passage == h.passage


def test_cached_texts_outlive_the_split_files_and_keep_their_digest(tmp_path: Path, monkeypatch: Any) -> None:
    # a search shows passages of more files than are kept split into lines: their texts are
    # kept (with the digest of the bytes read) and shown again without reading the files
    import hashlib

    from journal_me.memory import passage_text

    monkeypatch.setattr(passage_text, "CACHED_FILES", 1)
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.md")
        paths[-1].write_text(f"head {i}\nbody {i}\n", encoding="utf-8")
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    files = FileLines()
    for _ in range(2):
        assert [files.passage(p, 2, 2, digest=d) for p, d in zip(paths, digests, strict=True)] == [
            "body 0",
            "body 1",
            "body 2",
        ]
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    assert files.passage(paths[0], 2, 2, digest=digests[0]) == "body 0"
    assert reads == []  # from the kept text
    assert files.passage(paths[0], 2, 2, digest="0" * 64) == ""  # another digest: not it
    reads.clear()
    paths[1].write_text("head 1\nthe diagnosis, changed\n", encoding="utf-8")  # new stamp
    assert files.passage(paths[1], 2, 2, digest=digests[1]) == ""
    assert reads == [paths[1]]
