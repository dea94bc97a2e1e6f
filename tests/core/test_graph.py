"""The entity graph: aliases, types, co-mention edges, timelines, incremental updates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_me.api import Journal, open_vault
from journal_me.config import load_settings
from journal_me.memory.entities import extract_mentions, guess_type
from journal_me.memory.graph import EntityGraph
from journal_me.memory.graph_store import store_path
from journal_me.vault import Entry, parse_entry

D = dt.date


def entry(rel: str, text: str) -> Entry:
    return parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)


SAM_PAGE = "---\ntype: person\naliases: [Samantha Ortiz, Sammy]\n---\nBest friend since Leeds uni.\n"
VAULT = {
    "people/Sam.md": SAM_PAGE,
    "2025-08-09.md": "Sam rang: she and Theo are engaged! [[Samantha Ortiz|Sam]] cried, I cried. #friends\n",
    "2025-09-01.md": "Climbed with Dev at The Depot. Dev told me about Tidewater Labs.\n",
    "2025-11-15.md": "Missed the party. Samantha Ortiz is not speaking to me. Dev said give it time.\n",
    "2026-03-01.md": "Coffee with Sammy and Dev in Leith. Theo said hello from Hathersage. #friends\n",
    "2026-05-02.md": (
        "---\nprivate: true\n---\nTherapy: talked about Sam and about Dr Whitfield's question.\n"
    ),
    "2026-06-10.md": "Met @moira at Scottish Borders Council about the flood maps. #work/tidewater\n",
}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in VAULT.items():
        write(vault, rel, text)
    j = open_journal(vault)
    j.reindex()
    return j


def test_aliases_merge_into_one_person(journal: Journal) -> None:
    graph = journal._graph
    keys = {graph.resolve(n) for n in ["Sam", "sam", "Samantha Ortiz", "Sammy", "SAMMY"]}
    assert keys == {"sam"}
    info = graph.info("sam")
    assert info is not None
    assert info.name == "Sam"
    assert info.type == "person"
    assert {"samantha ortiz", "sammy"} <= set(info.aliases)
    assert info.count == 4  # the page itself is not a mention in time
    assert (info.first, info.last) == (D(2025, 8, 9), D(2026, 5, 2))
    names = [e.name for e in journal.entities()]
    assert names.count("Sam") == 1
    assert "Samantha Ortiz" not in names and "Sammy" not in names


def test_link_alias_alone_merges_names() -> None:
    g = EntityGraph()
    g.update(entry("2026-01-01.md", "Lunch with [[Devendra Shah|Dev]].\n"))
    g.update(entry("2026-01-02.md", "Dev said the release slipped. Dev and I laughed.\n"))
    assert g.resolve("Dev") == g.resolve("Devendra Shah") == "devendra shah"
    info = g.info("devendra shah")
    assert info is not None and info.count == 2 and info.name == "Devendra Shah"


def test_node_types(journal: Journal) -> None:
    types = {e.name: e.type for e in journal.entities()}
    assert types["Sam"] == "person"
    assert types["Dev"] == "person"
    assert types["#friends"] == "tag"
    assert types["#work/tidewater"] == "tag"
    assert types["moira"] == "person"  # an @mention

    def type_of(name: str) -> str:
        key = journal._graph.resolve(name)
        assert key is not None, name
        info = journal._graph.info(key)
        assert info is not None
        return info.type

    assert type_of("Tidewater Labs") == "org"  # named once: a node, not yet listed
    assert type_of("Scottish Borders Council") == "org"
    assert type_of("Hathersage") == "topic"
    assert "Tidewater Labs" not in types
    assert guess_type("Leith Clay Studio") == "place"
    assert guess_type("Water of Leith") == "place"
    assert guess_type("Priya Raman") == "person"


def test_co_mention_edges_with_counts_and_dates(journal: Journal) -> None:
    related = {r.name: r for r in journal.related("Sammy")}
    dev = related["Dev"]
    assert dev.weight == 2
    assert (dev.first, dev.last) == (D(2025, 11, 15), D(2026, 3, 1))
    assert related["Theo"].weight == 2
    assert (related["Theo"].first, related["Theo"].last) == (D(2025, 8, 9), D(2026, 3, 1))
    assert related["#friends"].weight == 2
    assert (related["#friends"].first, related["#friends"].last) == (D(2025, 8, 9), D(2026, 3, 1))
    # strongest first
    weights = [r.weight for r in journal.related("Sam")]
    assert weights == sorted(weights, reverse=True)
    assert journal.related("nobody we know") == []


def test_timeline(journal: Journal) -> None:
    points = journal.timeline("Samantha Ortiz")
    assert [(p.date, p.rel) for p in points] == [
        (D(2025, 8, 9), "2025-08-09.md"),
        (D(2025, 11, 15), "2025-11-15.md"),
        (D(2026, 3, 1), "2026-03-01.md"),
        (D(2026, 5, 2), "2026-05-02.md"),
    ]
    assert all(p.title for p in points)


def test_private_entries_excluded(journal: Journal) -> None:
    public = journal.timeline("Sam", include_private=False)
    assert "2026-05-02.md" not in [p.rel for p in public]
    # an entity named only in a private entry
    assert [p.rel for p in journal.timeline("Whitfield")] == ["2026-05-02.md"]
    assert journal.timeline("Whitfield", include_private=False) == []
    assert journal._graph.info("whitfield", include_private=False) is None
    sam = next(e for e in journal.entities(include_private=False) if e.name == "Sam")
    assert sam.last == D(2026, 3, 1)
    assert all("Whitfield" not in r.name for r in journal.related("Sam", include_private=False))


def test_explicit_markup_sources() -> None:
    e = entry(
        "2026-01-01.md",
        "---\npeople: [Carol Marsh]\n---\nWith [[Tom Marsh|Tom]] and @lily. #family\n\n"
        "```\n[[Not A Link]] #nottag\n```\n",
    )
    got = {(m.name, m.source) for m in extract_mentions(e)}
    assert {
        ("Tom Marsh", "link"),
        ("Tom", "link-alias"),
        ("Carol Marsh", "people"),
        ("lily", "mention"),
        ("#family", "tag"),
    } <= got
    assert not any("Not A Link" in name for name, _ in got)
    assert not any(name == "#nottag" for name, _ in got)


def test_heuristic_entities_need_two_entries() -> None:
    g = EntityGraph()
    g.update(entry("2026-01-01.md", "We walked past Victoria Baths on the way home.\n"))
    assert "Victoria Baths" not in {e.name for e in g.entities()}
    g.update(entry("2026-01-09.md", "Back at Victoria Baths for the market.\n"))
    assert "Victoria Baths" in {e.name for e in g.entities()}


def _snapshot(g: EntityGraph) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for key in g.node_keys():
        info = g.info(key)
        assert info is not None
        nodes[key] = dataclasses.replace(info, aliases=tuple(sorted(info.aliases)))
    edges = {(a, b): (w, first, last) for a, b, w, first, last in g.edges()}
    return {"nodes": nodes, "edges": edges, "canon": dict(sorted(g.aliases.canon.items()))}


def _answers(g: EntityGraph) -> dict[str, Any]:
    """What the trainer, the TUI and retrieval read, owner's and public view."""
    out: dict[str, Any] = {"snapshot": _snapshot(g), "public": g.public_view()}
    for private in (True, False):
        out[f"entities{private}"] = g.entities(include_private=private)
        for name in ["Sam", "Dev", "Theo Brennan", "#friends", "Victoria Baths", "Sammy", "Devendra"]:
            out[f"{name}{private}"] = (g.timeline(name, private), g.related(name, 10, private))
    out["in"] = {rel: g.entities_in(rel) for rel in sorted(g.known_entries())}
    return out


POOL = [
    ("people/Sam.md", SAM_PAGE),
    ("people/Sam.md", "---\ntype: person\naliases: [Samantha]\n---\nFriend.\n"),
    ("2026-01-01.md", "Sam and Dev at the Depot. #climbing\n"),
    ("2026-01-01.md", "Only Dev today, at the Depot.\n"),
    ("2026-01-02.md", "[[Samantha Ortiz|Sam]] called about Theo. #friends\n"),
    ("2026-01-03.md", "Sammy and Theo Brennan in Leith. Theo said hi.\n"),
    ("2026-01-03.md", "---\nprivate: true\n---\nSammy, Theo Brennan and Dr Whitfield.\n"),
    ("2026-01-04.md", "Lunch with [[Devendra Shah|Dev]] at Tidewater Labs. #work\n"),
    ("2026-01-05.md", "Tidewater Labs offer! Dev and Sam cheered. #work #friends\n"),
    ("people/Dev.md", "---\ntype: person\naliases: [Devendra Shah, Devendra]\n---\nColleague.\n"),
    ("2026-01-06.md", "@theo texted. Theo and Sam set a date. Victoria Baths again.\n"),
    ("2026-01-07.md", "Victoria Baths market with Sam.\n"),
    ("2026-01-08.md", "Dev was late. Sammy was not. Theo Brennan brought cake.\n"),
    ("2026-01-09.md", "[[sam]] and [[dev]] at the Depot. Devendra was tired. #Friends\n"),
    ("2026-01-09.md", "Devendra slept. Samantha laughed.\n"),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(st.booleans(), st.integers(0, len(POOL) - 1)), min_size=1, max_size=5),
        min_size=1,
        max_size=6,
    )
)
def test_incremental_batches_match_a_full_rebuild(batches: list[list[tuple[bool, int]]]) -> None:
    """Random batches of saves and deletions into a store on disk: after each, a second
    connection (another process) reads what the writer does; at the end the store answers as
    a fresh graph built from the surviving entries does."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.sqlite3"
        g = EntityGraph(path)
        reader = EntityGraph(path)
        current: dict[str, Entry] = {}
        try:
            for batch in batches:
                changed: dict[str, Entry] = {}
                gone: list[str] = []
                for remove, i in batch:
                    rel, text = POOL[i]
                    if remove:
                        changed.pop(rel, None)
                        gone.append(rel)
                        current.pop(rel, None)
                    else:
                        changed[rel] = current[rel] = entry(rel, text)
                before = g.aliases
                result = g.apply_batch(list(changed.values()), [r for r in gone if r not in changed])
                assert _snapshot(reader) == _snapshot(g)
                # the entries outside the batch whose entity names changed: exactly those
                renamed = {
                    rel
                    for rel in g.known_entries()
                    if rel not in changed and g.entity_names(rel, before) != g.entity_names(rel)
                }
                assert set(result.renamed) == renamed
                assert result.alias_changed or not renamed
            fresh = EntityGraph()
            for e in current.values():
                fresh.update(e)
            fresh.rebuild()
            assert _answers(g) == _answers(fresh)
            reopened = EntityGraph(path)
            assert _answers(reopened) == _answers(fresh)
            reopened.close()
        finally:
            g.close()
            reader.close()


def test_journal_incremental_graph_matches_rebuild(journal: Journal, vault: Path) -> None:
    (vault / "2025-09-01.md").write_text(
        "Climbed alone today. Theo Brennan waved from the cafe.\n", encoding="utf-8"
    )
    (vault / "2026-03-01.md").unlink()
    (vault / "people" / "Dev.md").write_text(
        "---\ntype: person\naliases: [Devendra Shah]\n---\nColleague.\n", encoding="utf-8"
    )
    journal.reindex()
    incremental = _snapshot(journal._graph)
    journal.reindex(rebuild=True)
    assert _snapshot(journal._graph) == incremental


def test_persistence_round_trip(journal: Journal) -> None:
    """A new session reads the journal's store as it was left, without an index."""
    loaded = EntityGraph.open(store_path(journal.data_dir))
    assert _snapshot(loaded) == _snapshot(journal._graph)
    assert loaded.timeline("Sammy") == journal._graph.timeline("Sammy")
    assert loaded.related("Sam") == journal._graph.related("Sam")
    assert loaded.entities(include_private=False) == journal._graph.entities(include_private=False)
    assert loaded.entities() == journal.entities()
    loaded.close()


def test_find_in_text(journal: Journal) -> None:
    keys = journal._graph.find_in_text("What did Sammy say about the #friends thing and Tidewater Labs?")
    assert set(keys) >= {"sam", "#friends", "tidewater labs"}


def _indexed_entities(journal: Journal) -> dict[str, str]:
    return {d["id"]: d["entities"] for d in journal._index.searcher().documents()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.integers(0, len(POOL) - 1)), min_size=1, max_size=8))
def test_alias_changes_reindex_exactly_the_entries_they_touch(ops: list[tuple[bool, int]]) -> None:
    """An alias change re-indexes only the entries whose entities change (not the vault), and
    the index then holds what a full rebuild would."""
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        (vault / "people").mkdir(parents=True)
        env = {"JOURNAL_ME_DATA_DIR": str(Path(tmp) / "data"), "JOURNAL_ME_CONFIG": str(Path(tmp) / "c.toml")}
        journal = open_vault(settings=load_settings(vault=vault, env=env))
        try:
            for remove, i in ops:
                rel, text = POOL[i]
                path = vault / rel
                if remove:
                    path.unlink(missing_ok=True)
                else:
                    path.write_text(text, encoding="utf-8")
                journal.update_paths([rel])
            incremental = _indexed_entities(journal)
            journal.reindex(rebuild=True)
            assert _indexed_entities(journal) == incremental
        finally:
            journal.close()


def test_a_new_person_page_reindexes_only_entries_naming_the_person(journal: Journal, vault: Path) -> None:
    journal.reindex()
    written: list[list[str]] = []
    real_write = journal._index.write

    def spy(add: Any, delete: Any = (), on_added: Any = None) -> int:
        items = list(add)
        written.append(sorted(i.entry.rel for i in items))
        return real_write(items, delete, on_added)

    journal._index.write = spy  # type: ignore[method-assign]
    (vault / "people" / "Theo.md").write_text(
        "---\ntype: person\naliases: [Theo Brennan, Teddy]\n---\nSam's brother.\n", encoding="utf-8"
    )
    journal.update_paths(["people/Theo.md"])
    assert written, "the new page was indexed"
    touched = set(written[-1])
    assert "people/Theo.md" in touched
    naming_theo = {
        rel for rel in journal._graph.known_entries() if "theo" in journal._graph.entity_names(rel)
    }
    assert touched == naming_theo | {"people/Theo.md"}
    assert len(touched) < len(list(journal._graph.known_entries()))  # not the whole vault
