"""The search filter's documents cached per index generation (memory/filter_cache.py): the
same sets as Whoosh's own, a new set after any commit, and the private fence evaluated every
time — a stale or tampered cache cannot let a private passage through."""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections.abc import Callable
from pathlib import Path

from journal_me.api import Journal
from journal_me.memory import filter_cache
from journal_me.memory.index import to_whoosh
from journal_me.memory.retrieval import Retriever

PUBLIC = "Walked to the harbour with Dev; the pelicans were back. #walks\n"
PRIVATE = "---\nprivate: true\n---\nThe pelicans and the letter from Ana: I told nobody.\n"


def _cache_file(journal: Journal) -> Path:
    return journal._index._filters.path  # type: ignore[no-any-return]


def _read(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(zlib.decompress(path.read_bytes()))  # type: ignore[no-any-return]


def _write(path: Path, data: dict) -> None:  # type: ignore[type-arg]
    path.write_bytes(zlib.compress(json.dumps(data).encode("utf-8")))


def _fresh(journal: Journal) -> Journal:
    """The same vault opened again, as the next CLI process would (nothing in memory)."""
    from journal_me.api import open_vault

    return open_vault(settings=journal.settings)


def _rels(journal: Journal, query: str, **kw: object) -> set[str]:
    return {h.entry.rel for h in journal.search(query, **kw)}  # type: ignore[arg-type]


def test_cached_sets_are_whooshs_sets(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    for day in range(1, 13):
        write(vault, f"2026-0{1 + day % 3}-{day:02d}.md", PUBLIC if day % 4 else PRIVATE)
    write(vault, "people/Dev.md", "# Dev\n\nClimbs, cooks, walks. #walks/harbour\n")
    journal = open_journal(vault, reindex=True)
    (vault / "2026-01-03.md").unlink()  # a deletion in the segment
    journal.reindex()
    index = journal._index
    s = index.searcher()
    filters = [
        Retriever._filter(None, None, (), True),
        Retriever._filter(None, None, (), False),
        Retriever._filter(dt.date(2026, 2, 1), dt.date(2026, 3, 31), (), False),
        Retriever._filter(None, None, ("walks",), False),
        Retriever._filter(None, None, (), False, notes=False),
    ]
    for _ in range(2):  # computed, then from the cache
        for f in filters:
            assert set(index._allowed(s, f)) == set(s.docs_for_query(to_whoosh(f))), f
    # and from the file, in a new process
    again = _fresh(journal)
    s2 = again._index.searcher()
    for f in filters:
        assert set(again._index._allowed(s2, f)) == set(s2.docs_for_query(to_whoosh(f))), f
    again.close()


def test_a_commit_invalidates_the_cache(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-01-05.md", PUBLIC)
    journal = open_journal(vault, reindex=True)
    assert _rels(journal, "pelicans") == {"2026-01-05.md"}
    path = _cache_file(journal)
    before = _read(path)["key"]
    # another process (the TUI, watch) commits a new entry
    other = _fresh(journal)
    write(vault, "2026-01-06.md", "Pelicans again, twelve of them.\n")
    other.reindex()
    other.close()
    # a stale set would not hold the new passage's document
    assert _rels(_fresh(journal), "pelicans") == {"2026-01-05.md", "2026-01-06.md"}
    assert _read(path)["key"] != before
    # a deletion alone is a commit too
    (vault / "2026-01-05.md").unlink()
    journal.reindex()
    assert _rels(_fresh(journal), "pelicans") == {"2026-01-06.md"}


def test_a_tampered_cache_cannot_let_a_private_entry_through(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-01-05.md", PUBLIC)
    write(vault, "2026-01-07.md", PRIVATE)
    journal = open_journal(vault, reindex=True)
    assert _rels(journal, "pelicans", include_private=False) == {"2026-01-05.md"}
    assert _rels(journal, "pelicans") == {"2026-01-05.md", "2026-01-07.md"}
    path = _cache_file(journal)
    data = _read(path)
    size = data["key"][-1]
    every = bytes([0xFF]) * ((size + 7) // 8)
    # every document allowed, checksum and key right: the fence still holds
    data["sets"] = {name: [zlib.crc32(every), base64.b64encode(every).decode()] for name in data["sets"]}
    _write(path, data)
    fresh = _fresh(journal)
    assert _rels(fresh, "pelicans", include_private=False) == {"2026-01-05.md"}
    fresh.close()
    # the cached set of the public search ("kind:passage") is what the fenced one is built
    # from: tampered with, still no private passage
    data = _read(path)
    names = [n for n in data["sets"] if "private" not in n]
    assert names, data["sets"].keys()
    data["sets"] = {name: [zlib.crc32(every), base64.b64encode(every).decode()] for name in names}
    _write(path, data)
    fresh = _fresh(journal)
    assert _rels(fresh, "pelicans", include_private=False) == {"2026-01-05.md"}
    fresh.close()


def test_a_stale_cache_from_before_an_entry_turned_private(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-01-05.md", PUBLIC)
    write(vault, "2026-01-07.md", "The pelicans and the letter from Ana.\n")
    journal = open_journal(vault, reindex=True)
    assert _rels(journal, "pelicans", include_private=False) == {"2026-01-05.md", "2026-01-07.md"}
    path = _cache_file(journal)
    stale = _read(path)
    write(vault, "2026-01-07.md", PRIVATE)  # now private
    journal.reindex()
    assert _rels(_fresh(journal), "pelicans", include_private=False) == {"2026-01-05.md"}
    # the old generation's sets put back under the new key (a copy, a clock, a bug)
    stale["key"] = _read(path)["key"]
    _write(path, stale)
    assert _rels(_fresh(journal), "pelicans", include_private=False) == {"2026-01-05.md"}
    # garbage: ignored and rewritten
    path.write_bytes(b"not a cache")
    assert _rels(_fresh(journal), "pelicans", include_private=False) == {"2026-01-05.md"}
    assert _read(path)["key"] == stale["key"]


def test_the_fence_clauses_are_never_cached() -> None:
    cached, fence = filter_cache.split_fence(Retriever._filter(None, None, ("walks",), False))
    assert fence and all("private" in repr(c) for c in fence)
    assert cached and not any("private" in repr(c) for c in cached)
