"""SQLite store of the entity graph (stdlib ``sqlite3``, WAL: one writer, many readers).

Derived state, kept in the vault's data dir: a file of another schema version, or one SQLite
cannot read, is replaced by an empty store and the next index fills it again.

Tables:
- ``entry``: one row per entry, its mentions as JSON (the source of truth);
- ``pair``: the alias pairs each entry contributes (page name/aliases, ``[[Name|alias]]``);
- ``raw``: the names each entry writes (lower case, and their first words): which entries an
  alias change can touch;
- ``alias``/``first_name``: the alias table built from the pairs (lower form -> canonical);
- ``mention``: one row per (entity key, entry) as resolved through the alias table, with the
  entry's date, title and privacy: "entries mentioning X" reads the primary key, "neighbours
  of X" joins on ``rel`` (indexed), an entity's name, type votes and markup are aggregates;
- ``form``: spellings public entries use for each entity (the public view).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

STORE_NAME = "graph.sqlite3"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE entry (
    rel TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    title TEXT NOT NULL,
    private INTEGER NOT NULL,
    note_name TEXT,
    note_lower TEXT,
    note_type TEXT,
    data TEXT NOT NULL
);
CREATE INDEX entry_note ON entry(note_lower) WHERE note_lower IS NOT NULL;
CREATE TABLE pair (a TEXT NOT NULL, b TEXT NOT NULL, rel TEXT NOT NULL);
CREATE INDEX pair_rel ON pair(rel);
CREATE TABLE raw (low TEXT NOT NULL, rel TEXT NOT NULL);
CREATE INDEX raw_low ON raw(low);
CREATE INDEX raw_rel ON raw(rel);
CREATE TABLE alias (low TEXT PRIMARY KEY, canonical TEXT NOT NULL, pos INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX alias_canonical ON alias(canonical);
CREATE TABLE first_name (low TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE mention (
    key TEXT NOT NULL,
    rel TEXT NOT NULL,
    pos INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    explicit INTEGER NOT NULL,
    marked INTEGER NOT NULL,
    date TEXT NOT NULL,
    private INTEGER NOT NULL,
    title TEXT NOT NULL,
    is_note INTEGER NOT NULL,
    PRIMARY KEY (key, rel)
) WITHOUT ROWID;
CREATE INDEX mention_rel ON mention(rel, pos);
CREATE TABLE form (key TEXT NOT NULL, rel TEXT NOT NULL, form TEXT NOT NULL, n INTEGER NOT NULL);
CREATE INDEX form_key ON form(key);
CREATE INDEX form_rel ON form(rel);
"""


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_NAME


def _open(path: Path | None) -> sqlite3.Connection:
    target = ":memory:" if path is None else str(path)
    con = sqlite3.connect(target, timeout=30.0, isolation_level=None, check_same_thread=False)
    if path is not None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
    return con


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
