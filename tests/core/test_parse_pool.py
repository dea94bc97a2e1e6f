"""A first index reads and parses files in a fork pool and streams the parsed entries from a
spool on disk into the index writer (memory/parse_pool.py). The index and the graph must be
the ones the per-entry path writes (``update_paths``: parse in process, every entry in memory,
one writer); a file that fails is reported and the others indexed; no parsed-entry list."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_me import api as api_mod
from journal_me.api import Journal
from journal_me.memory import index as index_mod
from journal_me.memory import parse_pool
from journal_me.vault import Entry

PERSON_PAGE = """---
type: person
aliases: [Sammy, S. Okafor]
---
# Sam Okafor

Met Sam at the [[Harbour Club]] in Lisbon.
"""


def _vault(root: Path, write: Callable[..., Path]) -> list[str]:
    """Real-style notes plus the awkward ones: a person page with aliases, private entries,
    bad YAML, a binary file, a conflict copy."""
    from bench.realstyle_vault import generate

    generate(root / "gen", notes=45, seed=3)
    write(root, "People/Sam Okafor.md", PERSON_PAGE)
    write(root, "2024-03-01.md", "# Friday\n\nLunch with Sammy and @dev_k about #garden plans.\n")
    write(root, "2024-03-02.md", "---\nprivate: true\n---\nSam said the Lisbon trip is off.\n")
    write(root, "2024-03-03.md", "---\ntags: [a\n---\nBroken YAML but Sam Okafor is here.\n")
    write(root, "2024-03-04.conflict-20240305-101010.md", "Sam, a conflict copy.\n")
    write(root, "2024-03-04.md", "Sam, the original.\n")
    write(root, "blob.md", b"\x00\x01\x02 not text \xff\xfe")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.md"))


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse pool and parallel writer even for a small vault (two workers each)."""
    monkeypatch.setattr(parse_pool, "MIN_FILES", 10)
    monkeypatch.setattr(index_mod, "PARALLEL_MIN_ENTRIES", 10)
    monkeypatch.setattr(index_mod, "_single_threaded", lambda: True)
    monkeypatch.setenv("JOURNAL_ME_INDEX_PROCS", "2")


def _index_dump(j: Journal) -> dict[str, Any]:
    """Every document's stored fields and every posting, by document id (segments and
    document numbers differ between one writer and several)."""
    s = j._index.searcher()
    r = s.reader()
    ids = {d: r.stored_fields(d)["id"] for d in r.all_doc_ids()}
    docs = {ids[d]: r.stored_fields(d) for d in ids}
    postings: dict[tuple[str, bytes], list[tuple[str, float]]] = {}
    for fieldname in r.indexed_field_names():
        for term in r.lexicon(fieldname):
            m = r.postings(fieldname, term)
            postings[(fieldname, term)] = sorted((ids[i], w) for i, w in m.items_as("weight"))
    lengths = {
        (f, ids[d]): r.doc_field_length(d, f) for f in ("title", "body", "entities", "tags") for d in ids
    }
    return {"docs": docs, "postings": postings, "lengths": lengths}


def _graph_dump(j: Journal, rels: list[str]) -> dict[str, Any]:
    g = j._graph
    ents = sorted(
        (e.name, e.type, e.count, e.first, e.last, e.aliases, e.explicit)
        for e in j.entities(include_private=True)
    )
    names = {rel: g.entity_names(rel) for rel in rels}
    related = {e[0]: j.related(e[0], limit=20) for e in ents[:15]}
    return {"entities": ents, "names": names, "related": related}


def test_pooled_first_index_equals_the_per_entry_path(
    tmp_path: Path, write: Callable[..., Path], open_journal: Callable[..., Journal], pooled: None
) -> None:
    root = tmp_path / "vault"
    rels = _vault(root, write)
    forks: list[int] = []
    real = parse_pool._start_worker

    def counted(parent: int, job: Any) -> None:
        real(parent, job)
        with open(tmp_path / "workers", "a") as fh:  # (in the worker)
            fh.write(f"{os.getpid()}\n")

    with pytest.MonkeyPatch.context() as m:
        m.setattr(parse_pool, "_start_worker", counted)
        pool = open_journal(root, data_root=tmp_path / "pool")
        report = pool.reindex()
    forks = [int(x) for x in (tmp_path / "workers").read_text().split()]
    assert len(set(forks)) == 2, "parsed by two workers"
    assert report.added == len(rels) - 1  # all but the binary file
    assert {w.rel for w in pool.warnings} >= {"blob.md", "2024-03-03.md"}

    os.environ["JOURNAL_ME_INDEX_PROCS"] = "1"  # (monkeypatched: undone after the test)
    one = open_journal(root, data_root=tmp_path / "one")
    one.update_paths(rels)  # parse in process, every entry in memory, one writer
    assert _index_dump(pool) == _index_dump(one)
    assert _graph_dump(pool, rels) == _graph_dump(one, rels)
    assert {w.rel for w in pool.warnings} == {w.rel for w in one.warnings}
    # and a rebuild in process (no pool) gives the same again
    one.reindex(rebuild=True)
    assert _index_dump(pool) == _index_dump(one)


def test_a_full_sub_writer_starts_a_new_segment(
    tmp_path: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    pooled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past its buffer a sub-writer ends its segment and starts another (memory bounded, no
    posting through Whoosh's pure-Python sorting pool): the index is the same as one writer's."""
    from journal_me.memory import fast_writer

    root = tmp_path / "vault"
    rels = _vault(root, write)
    monkeypatch.setattr(fast_writer, "BYTES_PER_POSTING", 70_000)  # ~1,900 postings a segment
    # (inherited by the forked sub-writers: a spill there would drop postings, and the dumps
    # below would differ)
    monkeypatch.setattr(fast_writer.BufferedWriter, "_spill", lambda self: None)
    pool = open_journal(root, data_root=tmp_path / "pool")
    pool.reindex()
    segments = pool._index.searcher().reader().leaf_readers()
    assert len(segments) > 4, "each sub-writer wrote several segments"
    monkeypatch.undo()  # one writer in process from here
    one = open_journal(root, data_root=tmp_path / "one")
    one.update_paths(rels)
    # a segment with no ``tags`` at all has no length for them (None) where a segment with some
    # has 0 for a document without: the same for scoring (no posting, no score in that field)
    many, single = _index_dump(pool), _index_dump(one)
    for dump in (many, single):
        dump["lengths"] = {k: n or 0 for k, n in dump["lengths"].items()}
    assert many == single


def test_a_file_that_breaks_the_parser_is_reported_not_the_batch(
    tmp_path: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    pooled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "vault"
    rels = _vault(root, write)
    real = api_mod.parse_entry

    def fragile(rel: str, raw: bytes, **kw: Any) -> Entry:
        if rel == "2024-03-01.md":
            raise ValueError("a parser bug")
        return real(rel, raw, **kw)

    monkeypatch.setattr(api_mod, "parse_entry", fragile)  # (inherited by the forked workers)
    j = open_journal(root)
    report = j.reindex()
    assert report.added == len(rels) - 2
    reasons = {w.rel: w.reason for w in j.warnings}
    assert "a parser bug" in reasons["2024-03-01.md"]
    assert "2024-03-01.md" not in j._index.manifest()
    assert "2024-03-02.md" in j._index.manifest()


def test_parsed_entries_are_not_held_in_memory(
    tmp_path: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    pooled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index write gets the entries one at a time from the spool: at no point are more
    than a few parsed entries alive (the old path held every one until the write ended)."""
    root = tmp_path / "vault"
    _vault(root, write)
    most = 0
    real = Journal._indexed
    gc.collect()
    # entries that other tests of the same process left alive are not this write's
    before = sum(1 for o in gc.get_objects() if type(o) is Entry)

    def counting(self: Journal, entry: Entry) -> Any:
        nonlocal most
        most = max(most, sum(1 for o in gc.get_objects() if type(o) is Entry) - before)
        return real(self, entry)

    monkeypatch.setattr(Journal, "_indexed", counting)
    j = open_journal(root)
    report = j.reindex()
    assert report.added > 40
    assert most <= 3
    # the spool was an unlinked file: nothing left in the data dir
    assert not [p for p in j.settings.vault_data_dir.rglob("parse-spool-*")]


def test_spool_round_trip(tmp_path: Path) -> None:
    import pickle

    spool = parse_pool.EntrySpool(tmp_path)
    values = [{"n": i, "text": "x" * (i * 37)} for i in range(50)]
    for v in values:
        spool.add(pickle.dumps(v))
    assert len(spool) == 50
    assert list(spool) == values
    assert list(spool) == values  # read again
    assert os.listdir(tmp_path) == []  # unlinked from the start
    spool.close()


def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers follow their parent: PR_SET_PDEATHSIG"
)
def test_killing_index_while_it_parses_ends_the_workers_and_leaves_no_complete_index(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    for i in range(900):
        text = (
            f"# Day {i}\n\n- Ran along the canal with Dev\n- soup\n\n| a | b |\n|---|---|\n| {i} | x |\n" * 20
        )
        (vault / f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}-{i}.md").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNAL_ME_")}
    env.update(
        JOURNAL_ME_VAULT=str(vault),
        JOURNAL_ME_DATA_DIR=str(tmp_path / "data"),
        JOURNAL_ME_CONFIG=str(tmp_path / "config.toml"),
        JOURNAL_ME_INDEX_PROCS="2",
    )
    cmd = [sys.executable, "-m", "journal_me.cli", "index"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers |= _children(proc.pid)
            time.sleep(0.01)
        assert len(workers) >= 2, "the index never started its parse workers"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        deadline = time.monotonic() + 60
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _running(w)], "parse workers outlived the killed index"
    finally:
        for pid in [proc.pid, *workers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(60)
    assert not list((tmp_path / "data").rglob("parse-spool-*"))
    # the next run indexes everything: nothing of the killed run reads as done
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    from journal_me.api import open_vault
    from journal_me.config import load_settings

    j = open_vault(settings=load_settings(vault=vault, data_root=tmp_path / "data"))
    try:
        assert len(j._index.manifest()) == 900
    finally:
        j.close()
