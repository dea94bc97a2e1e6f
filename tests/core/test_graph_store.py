"""The graph's SQLite store: opening reads nothing, queries read only what they need (index
lookups, no table scans), writes come one transaction per batch, other processes see them,
and files of earlier versions (graph.json, another schema, garbage) are replaced."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.memory import graph_store
from journal_me.memory.graph import EntityGraph, entry_mentions
from journal_me.memory.graph_store import store_path
from journal_me.vault import Entry, parse_entry

VAULT = {
    "people/Sam.md": "---\ntype: person\naliases: [Samantha Ortiz, Sammy]\n---\nBest friend.\n",
    "2025-08-09.md": "Sam rang: she and Theo are engaged! [[Samantha Ortiz|Sam]] cried. #friends\n",
    "2025-09-01.md": "Climbed with Dev at The Depot. Dev told me about Tidewater Labs.\n",
    "2026-03-01.md": "Coffee with Sammy and Dev in Leith. Theo said hello. #friends\n",
    "2026-05-02.md": "---\nprivate: true\n---\nTherapy: talked about Sam and Dr Whitfield.\n",
}


def _entry(rel: str, text: str) -> Entry:
    return parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "graph.sqlite3"
    g = EntityGraph(path)
    g.apply_batch([_entry(rel, text) for rel, text in VAULT.items()], [])
    # many more entries that the queries below must not read
    g.apply_batch(
        [_entry(f"2024-01-{i:02d}.md", f"Lunch with Person{i} Surname.\n") for i in range(1, 29)], []
    )
    g.close()
    return path


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement each store connection opened from now on runs."""
    statements: list[str] = []
    real_open = graph_store._open

    def tracing_open(path: Path | None) -> sqlite3.Connection:
        con = real_open(path)
        con.set_trace_callback(statements.append)
        return con

    monkeypatch.setattr(graph_store, "_open", tracing_open)
    yield statements


def _scans(path: Path, statements: list[str]) -> list[str]:
    """Plan lines of the given statements that scan a whole table of per-entry rows."""
    con = sqlite3.connect(path)
    out: list[str] = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        for row in con.execute("EXPLAIN QUERY PLAN " + sql):  # expanded SQL: values inline
            words = str(row[-1]).split()
            if words[:1] == ["SCAN"] and words[1] in {"entry", "mention", "pair", "raw", "a", "b", "m", "e"}:
                out.append(f"{row[-1]}  <- {sql}")
    con.close()
    return out


def test_opening_the_store_reads_no_entry(store: Path, traced: list[str]) -> None:
    g = EntityGraph.open(store)
    assert not [s for s in traced if "FROM" in s.upper()], traced
    g.close()


def test_queries_use_indexes_not_scans(store: Path, traced: list[str]) -> None:
    g = EntityGraph.open(store)
    assert g.resolve("Sammy") == "sam"
    assert [p.rel for p in g.timeline("Samantha Ortiz")] == [
        "2025-08-09.md",
        "2026-03-01.md",
        "2026-05-02.md",
    ]
    assert {r.name for r in g.related("Sam")} >= {"Dev", "Theo", "#friends"}
    assert g.related("Sam", include_private=False)
    assert g.timeline("Sam", include_private=False)
    assert g.entities_in("2025-09-01.md")
    info = g.info("sam")
    assert info is not None and info.name == "Sam"
    assert g.graph.nodes["sam"]["name"] == "Sam"  # what retrieval reads
    assert "sam" in g.find_in_text("What did Sammy and Dev say?")
    assert g.entity_names("2026-03-01.md")["sammy"] == "Sam"
    assert g.mentions_of("2026-03-01.md") is not None
    statements = [s for s in traced if s.lstrip().upper().startswith("SELECT")]
    assert statements
    assert _scans(store, statements) == []
    g.close()


def test_networkx_is_built_only_on_request(store: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from journal_me.memory.graph import EntityGraph\n"
        f"g = EntityGraph.open(Path({str(store)!r}))\n"
        "assert g.related('Sam') and g.timeline('Sam') and g.entities()\n"
        "assert 'networkx' not in sys.modules, 'networkx imported by a query'\n"
        "nxg = g.nx_graph(['sam', 'dev', 'theo'])\n"
        "assert set(nxg.nodes) == {'sam', 'dev', 'theo'} and nxg['sam']['dev']['weight'] == 1\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_batch_is_one_transaction(tmp_path: Path, traced: list[str]) -> None:
    g = EntityGraph(tmp_path / "graph.sqlite3")
    traced.clear()
    result = g.apply_batch([_entry(rel, text) for rel, text in VAULT.items()], [])
    assert [s for s in traced if s.strip().upper() in {"BEGIN IMMEDIATE", "COMMIT"}] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert result.alias_changed and result.renamed == ()
    traced.clear()
    g.apply_batch([_entry("2026-06-01.md", "Sammy again.\n")], ["2025-09-01.md"])
    assert sum(s.strip().upper() == "COMMIT" for s in traced) == 1
    g.close()


def test_alias_change_reports_the_entries_it_renames(tmp_path: Path) -> None:
    g = EntityGraph(tmp_path / "graph.sqlite3")
    g.apply_batch([_entry(rel, text) for rel, text in VAULT.items() if rel != "people/Sam.md"], [])
    assert g.resolve("Sammy") == "sammy"
    result = g.apply_batch([_entry("people/Sam.md", VAULT["people/Sam.md"])], [])
    assert result.alias_changed
    # the entries naming Sam, Sammy or Samantha Ortiz; not the one about Dev
    assert set(result.renamed) == {"2025-08-09.md", "2026-03-01.md", "2026-05-02.md"}
    assert g.resolve("Sammy") == "sam"
    unchanged = g.apply_batch([_entry("2026-07-01.md", "Dev at the Depot.\n")], [])
    assert not unchanged.alias_changed and unchanged.renamed == ()
    g.close()


def test_another_connection_sees_a_new_alias(store: Path) -> None:
    reader = EntityGraph.open(store)
    assert reader.resolve("Theo B") is None
    assert reader.canonical("Teddy") == "Teddy"  # the alias table is loaded (and cached) now
    writer = EntityGraph.open(store)
    writer.apply_batch([_entry("people/Theo.md", "---\ntype: person\naliases: [Teddy]\n---\nx\n")], [])
    assert reader.canonical("Teddy") == "Theo"
    assert reader.resolve("teddy") == "theo"
    writer.close()
    reader.close()


@pytest.mark.parametrize("content", [b"not a database at all", b"SQLite format 3\x00" + b"\x01" * 200])
def test_an_unreadable_store_is_replaced(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "graph.sqlite3"
    path.write_bytes(content)
    g = EntityGraph.open(path)
    assert list(g.known_entries()) == []
    g.update(_entry("2026-01-01.md", "With [[Sam]].\n"))
    assert g.resolve("Sam") == "sam"
    g.close()


def test_a_store_of_another_schema_version_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE entry (rel TEXT)")
    con.execute("INSERT INTO entry VALUES ('x.md')")
    con.execute("PRAGMA user_version=99")
    con.commit()
    con.close()
    g = EntityGraph.open(path)
    assert list(g.known_entries()) == []
    g.close()


def test_journal_deletes_an_old_graph_json_and_fills_the_store(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    for rel, text in VAULT.items():
        write(vault, rel, text)
    first = open_journal(vault)
    data = first.data_dir
    first.close()
    old = data / "graph.json"
    old.write_text('{"format": 3, "entries": {}, "graph": {}}', encoding="utf-8")
    journal = open_journal(vault)
    journal.reindex()  # (the journal opens its graph on first use, and deletes graph.json then)
    assert not old.exists()
    assert store_path(data).is_file()
    assert any(e.name == "Sam" for e in journal.entities())
    # the next session opens the store as it was left: nothing to re-read
    journal.close()
    again = open_journal(vault)
    assert again.timeline("Sammy") and again.reindex().updated == 0


SCHEMA_4 = """
CREATE TABLE entry (id INTEGER PRIMARY KEY, rel TEXT NOT NULL UNIQUE, date TEXT NOT NULL, title TEXT NOT NULL,
    private INTEGER NOT NULL, note_name TEXT, note_lower TEXT, note_type TEXT, data BLOB NOT NULL);
CREATE TABLE pair (a TEXT NOT NULL, b TEXT NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (a, b, entry))
    WITHOUT ROWID;
CREATE TABLE raw (low TEXT NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (low, entry)) WITHOUT ROWID;
CREATE TABLE mention (key TEXT NOT NULL, entry INTEGER NOT NULL, pos INTEGER NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, explicit INTEGER NOT NULL, marked INTEGER NOT NULL, forms TEXT,
    PRIMARY KEY (key, entry)) WITHOUT ROWID;
CREATE INDEX mention_entry ON mention(entry, pos);
INSERT INTO entry VALUES (1, 'old.md', '2025-01-01', 'Old', 0, NULL, NULL, NULL, x'00');
INSERT INTO mention VALUES ('sam', 1, 0, 'Sam', 'person', 1, 1, '{"Sam":1}');
INSERT INTO raw VALUES ('sam', 1);
PRAGMA user_version=4;
"""


def test_a_store_of_schema_4_is_rebuilt_with_views_in_place_of_its_tables(tmp_path: Path) -> None:
    """Schema 5 keeps ``mention``, ``raw`` and ``pair`` as views over tables of integer ids:
    a schema 4 store (tables of those names, rows in them) is emptied and rebuilt, not
    crashed on, and a later version replaces the views in turn."""
    path = tmp_path / "graph.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_4)
    con.close()
    g = EntityGraph.open(path)
    assert list(g.known_entries()) == []
    g.apply_batch([_entry(rel, text) for rel, text in VAULT.items()], [])
    assert g.resolve("Sammy") == "sam"
    assert [p.rel for p in g.timeline("Sam")][:1] == ["2025-08-09.md"]
    g.close()
    con = sqlite3.connect(path)
    kinds = dict(con.execute("SELECT name, type FROM sqlite_master WHERE name IN ('mention', 'raw', 'pair')"))
    con.execute("PRAGMA user_version=4")
    con.commit()
    con.close()
    assert kinds == {"mention": "view", "raw": "view", "pair": "view"}
    g = EntityGraph.open(path)  # views dropped, tables made again
    assert list(g.known_entries()) == []
    g.close()


def test_names_are_stored_once_and_rows_hold_their_ids(tmp_path: Path) -> None:
    """A name was written out in every mention, raw-name and alias-pair row (key, spelling
    and kind as text: 5.9 of a 3k-note vault's 15.4 MB graph store); the rows hold integer
    ids into ``word`` now, and a mention's one spelling is not repeated in its forms."""
    path = tmp_path / "graph.sqlite3"
    g = EntityGraph(path)
    name = "Bartholomew Featherstonehaugh"
    g.apply_batch(
        [_entry(f"2025-01-{i:02d}.md", f"Tea with {name} at Kensington.\n") for i in range(1, 29)], []
    )
    assert g.resolve(name) is not None
    assert g.timeline(name)
    g.close()
    con = sqlite3.connect(path)
    texts = [t for (t,) in con.execute("SELECT text FROM word")]
    assert sum(name.lower() in t.lower() for t in texts) <= 3, texts  # key, spelling, first word
    assert con.execute(
        "SELECT typeof(key), typeof(name), typeof(kind) FROM mention_ids LIMIT 1"
    ).fetchone() == (
        "integer",
        "integer",
        "integer",
    )
    assert con.execute("SELECT COUNT(*) FROM mention_ids WHERE forms != ''").fetchone()[0] == 0
    # the views read back what was written
    assert con.execute("SELECT forms FROM mention WHERE name=? LIMIT 1", (name,)).fetchone()[0] in (
        f'{{"{name}":1}}',
        None,
    )
    con.close()


def test_an_entry_keeps_its_mentions_as_word_ids(tmp_path: Path) -> None:
    """An entry's own mentions (the source the alias table and the mention rows are built
    from) were zlib-compressed JSON, ~18 bytes a mention on real notes; word ids now (a few
    bytes each), read back the same."""
    path = tmp_path / "graph.sqlite3"
    text = "Met [[Samantha Ortiz|Sam]], Dev and Theo at The Depot. #friends #climbing @priya\n" * 3
    entry = _entry("2025-01-01.md", text)
    g = EntityGraph(path)
    g.apply_batch([entry, _entry("people/Sam.md", VAULT["people/Sam.md"])], [])
    g.close()
    g = EntityGraph.open(path)
    em = g.mentions_of("2025-01-01.md")
    g.close()
    assert em == entry_mentions(entry) and len(em.mentions) >= 6
    con = sqlite3.connect(path)
    (data,) = con.execute("SELECT data FROM entry WHERE rel='2025-01-01.md'").fetchone()
    con.close()
    assert len(data) <= 4 + 6 * len(em.mentions), (len(data), len(em.mentions))


def test_word_ids_learnt_in_a_rolled_back_batch_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection remembers word ids (a query per word lookup was a fifth of the graph's
    first-index time); a batch that fails is rolled back and frees its new ids, which the next
    batch gives to other words: the remembered ones must go with it."""
    path = tmp_path / "graph.sqlite3"
    g = EntityGraph(path)
    g.apply_batch([_entry("2025-01-01.md", "Tea with Dev at The Depot.\n")], [])

    def boom() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(g, "_hub_flush", boom)
    with pytest.raises(RuntimeError):
        g.apply_batch([_entry("2025-01-02.md", "Lunch with Zebedee Quartermaine in Leith.\n")], [])
    monkeypatch.undo()
    text = "Climbing with Ottoline Brackenbury at Ratho. Lunch with Zebedee Quartermaine in Leith.\n"
    g.apply_batch([_entry("2025-01-03.md", text)], [])
    assert g.mentions_of("2025-01-03.md") == entry_mentions(_entry("2025-01-03.md", text))
    names = g.entities_in("2025-01-03.md")
    assert "Zebedee Quartermaine" in names and "Ottoline Brackenbury" in names, names
    g.close()
