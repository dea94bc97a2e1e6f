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

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STORE_NAME = "graph.sqlite3"
# 2: integer entry ids, no per-mention copies of entry data; 3: hub tables; 4: a heading link's
# text is no alias of the page, headings end names, @handles end before a CJK/Hangul particle;
# 5: names, kinds and raw names as integer ids (``word``) behind views of the old tables; 6: an
# entry's mentions packed as word ids (pack_mentions), not zlib-compressed JSON
SCHEMA_VERSION = 6

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
CREATE TABLE alias (low TEXT PRIMARY KEY, canonical TEXT NOT NULL, pos INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE first_name (low TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE word (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE pair_ids (
    a INTEGER NOT NULL, b INTEGER NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (a, b, entry)
) WITHOUT ROWID;
CREATE VIEW pair (a, b, entry) AS
    SELECT wa.text, wb.text, p.entry FROM pair_ids p JOIN word wa ON wa.id = p.a JOIN word wb ON wb.id = p.b;
CREATE TRIGGER pair_insert INSTEAD OF INSERT ON pair BEGIN
    INSERT OR IGNORE INTO word (text) VALUES (NEW.a), (NEW.b);
    INSERT INTO pair_ids VALUES (
        (SELECT id FROM word WHERE text = NEW.a), (SELECT id FROM word WHERE text = NEW.b), NEW.entry);
END;
CREATE TRIGGER pair_delete INSTEAD OF DELETE ON pair BEGIN
    DELETE FROM pair_ids WHERE a = (SELECT id FROM word WHERE text = OLD.a)
        AND b = (SELECT id FROM word WHERE text = OLD.b) AND entry = OLD.entry;
END;
CREATE TABLE raw_ids (low INTEGER NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (low, entry)) WITHOUT ROWID;
CREATE VIEW raw (low, entry) AS SELECT w.text, r.entry FROM raw_ids r JOIN word w ON w.id = r.low;
CREATE TRIGGER raw_insert INSTEAD OF INSERT ON raw BEGIN
    INSERT OR IGNORE INTO word (text) VALUES (NEW.low);
    INSERT INTO raw_ids VALUES ((SELECT id FROM word WHERE text = NEW.low), NEW.entry);
END;
CREATE TRIGGER raw_delete INSTEAD OF DELETE ON raw BEGIN
    DELETE FROM raw_ids WHERE low = (SELECT id FROM word WHERE text = OLD.low) AND entry = OLD.entry;
END;
CREATE TABLE mention_ids (
    key INTEGER NOT NULL,
    entry INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    name INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    explicit INTEGER NOT NULL,
    marked INTEGER NOT NULL,
    forms TEXT,
    PRIMARY KEY (key, entry)
) WITHOUT ROWID;
CREATE INDEX mention_entry ON mention_ids(entry, pos);
CREATE VIEW mention (key, entry, pos, name, kind, explicit, marked, forms) AS
    SELECT k.text, m.entry, m.pos, n.text, c.text, m.explicit, m.marked,
        CASE WHEN m.forms = '' THEN json_object(n.text, 1) ELSE m.forms END
    FROM mention_ids m JOIN word k ON k.id = m.key JOIN word n ON n.id = m.name JOIN word c ON c.id = m.kind;
CREATE TRIGGER mention_insert INSTEAD OF INSERT ON mention BEGIN
    INSERT OR IGNORE INTO word (text) VALUES (NEW.key), (NEW.name), (NEW.kind);
    INSERT INTO mention_ids VALUES (
        (SELECT id FROM word WHERE text = NEW.key), NEW.entry, NEW.pos,
        (SELECT id FROM word WHERE text = NEW.name), (SELECT id FROM word WHERE text = NEW.kind),
        NEW.explicit, NEW.marked, CASE WHEN NEW.forms = json_object(NEW.name, 1) THEN '' ELSE NEW.forms END);
END;
CREATE TRIGGER mention_delete INSTEAD OF DELETE ON mention BEGIN
    DELETE FROM mention_ids WHERE key = (SELECT id FROM word WHERE text = OLD.key) AND entry = OLD.entry;
END;
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
VACUUM_MIN_ENTRIES = 100  # (a smaller store: the few pages a VACUUM saves are not worth it)
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # what a reset WAL is cut back to (PRAGMA journal_size_limit)


class _Connection(sqlite3.Connection):
    """A store connection that remembers the ``word`` ids it has seen (text <-> id): the
    graph looks words up per entry, and a query per lookup was a fifth of a first index's
    graph time. Forgotten on a ROLLBACK (its new ids are free again) and when another
    connection has committed since (``PRAGMA data_version``: it may have replaced the store)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.word_id: dict[str, int] = {}
        self.word_text: dict[int, str] = {}
        self.word_version: int | None = None

    def forget_words(self) -> None:
        self.word_id.clear()
        self.word_text.clear()
        self.word_version = None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql[:8].upper() == "ROLLBACK":
            self.forget_words()
        return super().execute(sql, *args)

    def rollback(self) -> None:
        self.forget_words()
        super().rollback()


def _open(path: Path | None) -> sqlite3.Connection:
    target = ":memory:" if path is None else str(path)
    con = sqlite3.connect(
        target, timeout=30.0, isolation_level=None, check_same_thread=False, factory=_Connection
    )
    if path is not None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    return con


def settle(con: sqlite3.Connection, batch: int) -> None:
    """After a committed batch of ``batch`` entries: one that wrote at least half the store
    (a first index, a rebuild) is compacted (rows inserted in entry order leave B-tree pages
    part empty: VACUUM takes 8% off a 3k-note store, 6% off the sample vault's), and a large
    one's pages leave the WAL file (:func:`checkpoint`)."""
    vacuumed = False
    if batch >= VACUUM_MIN_ENTRIES and batch * 2 >= con.execute("SELECT COUNT(*) FROM entry").fetchone()[0]:
        try:
            con.execute("VACUUM")
            vacuumed = True
        except sqlite3.OperationalError as exc:  # busy elsewhere: it stays as it is
            log.debug("graph store vacuum skipped: %s", exc)
    if vacuumed or batch >= CHECKPOINT_MIN_ENTRIES:
        checkpoint(con)


def checkpoint(con: sqlite3.Connection) -> bool:
    """Copy the WAL into the store and truncate it to nothing (after a large batch); False
    when a reader elsewhere kept part of it (it is then cut back at a later write)."""
    try:
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError as exc:  # locked by a writer elsewhere: not now
        log.debug("graph store checkpoint skipped: %s", exc)
        return False
    return not busy


def _statements(script: str) -> list[str]:
    """``script`` cut into statements (a trigger's body holds semicolons of its own)."""
    out: list[str] = []
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out


def _ensure_schema(con: sqlite3.Connection) -> None:
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:  # another process may have created it meanwhile
            for kind in ("view", "table"):  # (a view's triggers go with it)
                names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type=?", (kind,))]
                for name in names:
                    con.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
            for statement in _statements(SCHEMA):
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


# -- an entry's mentions (``entry.data``) --------------------------------------------------------
# Version 2: the names, kinds, sources and aliases as ids into ``word`` (varints), ~5 bytes a
# mention; the zlib-compressed JSON before was ~18 (a 1k-note store's entry table: 0.75 MB).
_PACKED = 2


def _put_varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _get_varint(buf: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


def _words(con: sqlite3.Connection) -> tuple[dict[str, int], dict[int, str]]:
    """The connection's word caches, emptied when another connection committed since."""
    if not isinstance(con, _Connection):  # (a plain connection: no cache)
        return {}, {}
    version = con.execute("PRAGMA data_version").fetchone()[0]
    if version != con.word_version:
        con.forget_words()
        con.word_version = version
    return con.word_id, con.word_text


def word_ids(con: sqlite3.Connection, texts: Sequence[str]) -> dict[str, int]:
    """The ``word`` ids of ``texts``, adding the missing ones (inside the caller's write
    transaction)."""
    ids, names = _words(con)
    missing = [t for t in dict.fromkeys(texts) if t not in ids]
    if missing:
        con.executemany("INSERT OR IGNORE INTO word (text) VALUES (?)", [(t,) for t in missing])
        for t in missing:
            (n,) = con.execute("SELECT id FROM word WHERE text=?", (t,)).fetchone()
            ids[t], names[n] = n, t
    return {t: ids[t] for t in texts}


def word_texts(con: sqlite3.Connection, numbers: Iterable[int]) -> dict[int, str]:
    ids, names = _words(con)
    for n in [n for n in set(numbers) if n not in names]:
        row = con.execute("SELECT text FROM word WHERE id=?", (n,)).fetchone()
        if row is None:
            raise ValueError(f"word {n} is missing from the graph store")
        names[n], ids[row[0]] = row[0], n
    return names


Packed = tuple[list[tuple[str, str, str, str | None]], list[str]]  # (name, kind, source, alias), aliases


def pack_mentions(con: sqlite3.Connection, mentions: Packed) -> bytes:
    """An entry's mentions and note aliases as ``entry.data``."""
    rows, aliases = mentions
    texts = [t for row in rows for t in row if t is not None] + list(aliases)
    ids = word_ids(con, texts)
    out = bytearray([_PACKED])
    _put_varint(out, len(rows))
    for name, kind, source, alias in rows:
        for t in (name, kind, source):
            _put_varint(out, ids[t])
        _put_varint(out, 0 if alias is None else ids[alias] + 1)
    _put_varint(out, len(aliases))
    for t in aliases:
        _put_varint(out, ids[t])
    return bytes(out)


def unpack_mentions(con: sqlite3.Connection, data: bytes) -> Packed:
    """What :func:`pack_mentions` packed."""
    if not data or data[0] != _PACKED:
        raise ValueError("not an entry's packed mentions")
    n, pos = _get_varint(data, 1)
    numbers: list[int] = []
    for _ in range(4 * n):
        v, pos = _get_varint(data, pos)
        numbers.append(v)
    k, pos = _get_varint(data, pos)
    alias_ids: list[int] = []
    for _ in range(k):
        v, pos = _get_varint(data, pos)
        alias_ids.append(v)
    quads = [numbers[i : i + 4] for i in range(0, len(numbers), 4)]
    texts = word_texts(
        con, [*(x for q in quads for x in q[:3]), *(q[3] - 1 for q in quads if q[3]), *alias_ids]
    )
    rows = [(texts[a], texts[b], texts[c], texts[d - 1] if d else None) for a, b, c, d in quads]
    return rows, [texts[i] for i in alias_ids]


# -- rows written straight to the tables (the views' triggers look each word up row by row) --
def _single_form(name: str) -> str:
    """The forms of a mention spelt one way once, as graph.py writes them (stored as '')."""
    if '"' in name or "\\" in name or not name.isprintable():  # (JSON escapes these)
        return json.dumps({name: 1}, ensure_ascii=False, separators=(",", ":"))
    return '{"' + name + '":1}'


MentionRow = tuple[str, int, int, str, str, int, int, "str | None"]  # the ``mention`` view's columns


def insert_mentions(con: sqlite3.Connection, rows: Sequence[MentionRow]) -> None:
    """``INSERT INTO mention VALUES …`` for these rows, a word lookup for all of them."""
    if not rows:
        return
    ids = word_ids(con, [t for r in rows for t in (r[0], r[3], r[4])])
    con.executemany(
        "INSERT INTO mention_ids VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                ids[key],
                entry,
                pos,
                ids[name],
                ids[kind],
                explicit,
                marked,
                "" if forms == _single_form(name) else forms,
            )
            for key, entry, pos, name, kind, explicit, marked, forms in rows
        ],
    )


def insert_raw(con: sqlite3.Connection, lows: Iterable[str], entry: int) -> None:
    """``INSERT OR IGNORE INTO raw (low, entry)`` for each of ``lows``."""
    ids = word_ids(con, list(lows))
    con.executemany("INSERT OR IGNORE INTO raw_ids VALUES (?, ?)", [(i, entry) for i in ids.values()])


def insert_pairs(con: sqlite3.Connection, pairs: Iterable[tuple[str, str]], entry: int) -> None:
    """``INSERT OR IGNORE INTO pair (a, b, entry)`` for each pair."""
    pairs = list(pairs)
    ids = word_ids(con, [t for p in pairs for t in p])
    con.executemany(
        "INSERT OR IGNORE INTO pair_ids VALUES (?, ?, ?)", [(ids[a], ids[b], entry) for a, b in pairs]
    )
