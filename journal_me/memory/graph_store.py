"""SQLite store of the entity graph (stdlib ``sqlite3``, WAL: one writer, many readers).

Derived state, kept in the vault's data dir: a file of another schema version, or one SQLite
cannot read, is replaced by an empty store and the next index fills it again.

Tables (sized for real vaults: per-entry data once, in ``entry``; the other tables hold short
names and the entry's integer id, with only the indexes a query needs):
- ``entry``: one row per entry (integer id, rel, date, title, privacy, page name/type) and its
  mentions as zlib-compressed JSON (the source of truth);
- ``pair``: the alias pairs each entry contributes (page name/aliases, ``[[Name|alias]]``);
  deleted by exact row (the old pairs are recomputed from the entry's mentions);
- ``raw``: the names each entry writes (lower case, and their first words): which entries an
  alias change can touch; deleted by exact row like ``pair``;
- ``alias``/``first_name``: the alias table built from the pairs (lower form -> canonical);
- ``mention``: one row per (entity key, entry) as resolved through the alias table, with the
  spellings a public entry uses for it (``forms``, JSON; NULL for a private entry): "entries
  mentioning X" reads the primary key, "neighbours of X" joins on the entry (indexed), dates,
  titles and privacy come from ``entry`` by its integer key;
- ``hub``/``hub_edge``: the entities with many mention rows (``graph.HUB_MIN``) and, for each
  pair of them, the entries (public ones apart) mentioning both and the first and last day
  (ordinals), both directions, indexed by weight: a hub's top neighbours without a join.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

STORE_NAME = "graph.sqlite3"
# 2: integer entry ids, no per-mention copies of entry data; 3: hub tables; 4: a heading link's
# text is no alias of the page, headings end names, @handles end before a CJK/Hangul particle
SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE entry (
    id INTEGER PRIMARY KEY,
    rel TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL,
    title TEXT NOT NULL,
    private INTEGER NOT NULL,
    note_name TEXT,
    note_lower TEXT,
    note_type TEXT,
    data BLOB NOT NULL
);
CREATE INDEX entry_note ON entry(note_lower) WHERE note_lower IS NOT NULL;
CREATE TABLE pair (a TEXT NOT NULL, b TEXT NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (a, b, entry))
    WITHOUT ROWID;
CREATE TABLE raw (low TEXT NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (low, entry)) WITHOUT ROWID;
CREATE TABLE alias (low TEXT PRIMARY KEY, canonical TEXT NOT NULL, pos INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE first_name (low TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE mention (
    key TEXT NOT NULL,
    entry INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    explicit INTEGER NOT NULL,
    marked INTEGER NOT NULL,
    forms TEXT,
    PRIMARY KEY (key, entry)
) WITHOUT ROWID;
CREATE INDEX mention_entry ON mention(entry, pos);
CREATE TABLE hub (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE hub_edge (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    w INTEGER NOT NULL,
    pw INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    pfirst INTEGER,
    plast INTEGER,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX hub_edge_w ON hub_edge(a, w DESC);
CREATE INDEX hub_edge_pw ON hub_edge(a, pw DESC);
"""


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_NAME


# A batch of this many entries (a first index, a rebuild) leaves its whole transaction in the
# WAL file until the next write resets it (a 6k-note index left a 29 MB graph.sqlite3-wal
# beside a 29 MB store): such a batch is checkpointed and the WAL truncated at once.
CHECKPOINT_MIN_ENTRIES = 500
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # what a reset WAL is cut back to (PRAGMA journal_size_limit)


def _open(path: Path | None) -> sqlite3.Connection:
    target = ":memory:" if path is None else str(path)
    con = sqlite3.connect(target, timeout=30.0, isolation_level=None, check_same_thread=False)
    if path is not None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    return con


def checkpoint(con: sqlite3.Connection) -> bool:
    """Copy the WAL into the store and truncate it to nothing (after a large batch); False
    when a reader elsewhere kept part of it (it is then cut back at a later write)."""
    try:
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError as exc:  # locked by a writer elsewhere: not now
        log.debug("graph store checkpoint skipped: %s", exc)
        return False
    return not busy


def _ensure_schema(con: sqlite3.Connection) -> None:
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:  # another process may have created it meanwhile
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for t in tables:
                con.execute(f'DROP TABLE IF EXISTS "{t}"')
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def connect_store(path: Path | None) -> sqlite3.Connection:
    """A connection to the store at ``path`` (in memory when None), schema ready."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = _open(path)
        _ensure_schema(con)
        return con
    except sqlite3.DatabaseError as exc:
        if path is None:
            raise
        # not a database, or damaged: derived state, start again empty
        log.warning("replacing unreadable graph store %s (%s)", path, exc)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        con = _open(path)
        _ensure_schema(con)
        return con
