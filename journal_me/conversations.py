"""Saved conversations (chat and bridge), in SQLite in the vault's data dir — never the vault.

The schema is versioned with ``PRAGMA user_version``; each migration runs once, in order.
The file holds private-entry text (answers quote them), so it and SQLite's ``-wal``/``-shm``
companions are created 0600 whatever the umask. A file that is not a readable database is
moved aside (``NAME.corrupt-STAMP``) and a new one started; if even that fails the store
keeps the conversation in memory only. Either way ``recovered`` says what happened, in one
line, for the CLI and the TUI to show.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIGRATIONS: list[str] = [
    # 1: conversations and messages
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'chat',
        role TEXT,
        as_of TEXT,
        summary TEXT,
        summarised_upto INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        reasoning TEXT NOT NULL DEFAULT '',
        citations TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """,
]


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str  # user | assistant
    content: str
    reasoning: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""

    def as_chat(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    mode: str
    role: str | None
    as_of: dt.date | None
    summary: str | None
    summarised_upto: int
    created: str
    updated: str


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


MEMORY = ":memory:"
_COMPANIONS = ("-wal", "-shm", "-journal")


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing (SQLite gives -wal/-shm the database's mode), else
    tighten it and its companions to 0600."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for p in (path, *(path.with_name(path.name + s) for s in _COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            if p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)


class ConversationStore:
    """Conversations in SQLite at ``path`` (``save=False`` or ``path == ":memory:"``: kept in
    memory only, nothing written to disk)."""

    def __init__(self, path: Path | str, *, save: bool = True) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.recovered: str | None = None  # one user-facing line when the file was unusable
        self.persistent = save and str(path) != MEMORY
        if not self.persistent:
            self._db = self._connect(MEMORY)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _private_file(self.path)
            self._db = self._connect(str(self.path))
            return
        except sqlite3.OperationalError as exc:  # locked, unreadable: the file may be fine
            self._memory_only(f"cannot open {self.path} ({exc})", hint="try again later")
            return
        except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
            problem = f"{self.path} is not a readable conversation database ({exc})"
        except (OSError, RuntimeError) as exc:
            problem = f"cannot open {self.path} ({exc})"
            self._memory_only(problem)
            return
        # not a database (garbage, truncated, another program's file): keep it, start afresh
        aside = self.path.with_name(f"{self.path.name}.corrupt-{dt.datetime.now():%Y%m%d-%H%M%S}")
        try:
            os.replace(self.path, aside)
            for suffix in _COMPANIONS:
                with contextlib.suppress(FileNotFoundError):
                    os.replace(self.path.with_name(self.path.name + suffix), Path(str(aside) + suffix))
            _private_file(self.path)
            self._db = self._connect(str(self.path))
        except (OSError, sqlite3.Error) as exc:
            self._memory_only(f"{problem}; could not start a new one ({exc})")
            return
        self.recovered = f"{problem}: moved it to {aside.name} and started a new one"

    def _memory_only(self, problem: str, *, hint: str = "move the file aside to fix it") -> None:
        self.persistent = False
        self._db = self._connect(MEMORY)
        self.recovered = f"{problem}: this conversation is not saved ({hint})"

    def _connect(self, where: str) -> sqlite3.Connection:
        db = sqlite3.connect(where, check_same_thread=False)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            self._db = db
            self._migrate()
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise RuntimeError(f"{self.path} was written by a newer journal-me (schema {version}); upgrade")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._db:
                self._db.executescript(script)
                self._db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    # -- conversations ---------------------------------------------------------------------
    def create(
        self, title: str, *, mode: str = "chat", role: str | None = None, as_of: dt.date | None = None
    ) -> Conversation:
        now = _now()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO conversations (title, mode, role, as_of, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (title, mode, role, as_of.isoformat() if as_of else None, now, now),
            )
            cid = int(cur.lastrowid or 0)
        return self.get(cid)

    def get(self, cid: int) -> Conversation:
        row = self._db.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise KeyError(f"no conversation {cid}")
        return self._conv(row)

    @staticmethod
    def _conv(row: sqlite3.Row) -> Conversation:
        return Conversation(
            id=row["id"],
            title=row["title"],
            mode=row["mode"],
            role=row["role"],
            as_of=dt.date.fromisoformat(row["as_of"]) if row["as_of"] else None,
            summary=row["summary"],
            summarised_upto=row["summarised_upto"],
            created=row["created"],
            updated=row["updated"],
        )

    def conversations(self, mode: str | None = None) -> list[Conversation]:
        sql = "SELECT * FROM conversations"
        args: Sequence[Any] = ()
        if mode:
            sql += " WHERE mode = ?"
            args = (mode,)
        sql += " ORDER BY updated DESC, id DESC"
        return [self._conv(r) for r in self._db.execute(sql, args).fetchall()]

    def rename(self, cid: int, title: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (title, _now(), cid))

    def delete(self, cid: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    def set_summary(self, cid: int, summary: str, upto_message_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE conversations SET summary = ?, summarised_upto = ? WHERE id = ?",
                (summary, upto_message_id, cid),
            )

    # -- messages --------------------------------------------------------------------------
    def add_message(
        self,
        cid: int,
        role: str,
        content: str,
        *,
        reasoning: str = "",
        citations: Sequence[dict[str, Any]] = (),
    ) -> StoredMessage:
        now = _now()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO messages (conversation_id, role, content, reasoning, citations, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (cid, role, content, reasoning, json.dumps(list(citations)), now),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))
            mid = int(cur.lastrowid or 0)
        return StoredMessage(mid, role, content, reasoning, list(citations), now)

    def messages(self, cid: int) -> list[StoredMessage]:
        rows = self._db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (cid,)
        ).fetchall()
        return [
            StoredMessage(
                r["id"], r["role"], r["content"], r["reasoning"], json.loads(r["citations"]), r["created"]
            )
            for r in rows
        ]

    # -- export ----------------------------------------------------------------------------
    def export_markdown(self, cid: int) -> str:
        conv = self.get(cid)
        lines = [f"# {conv.title}", ""]
        meta = [f"mode: {conv.mode}"]
        if conv.role:
            meta.append(f"role: {conv.role}")
        if conv.as_of:
            meta.append(f"as of: {conv.as_of.isoformat()}")
        lines += [f"_{', '.join(meta)} — started {conv.created}_", ""]
        for m in self.messages(cid):
            who = "**Me (now)**" if m.role == "user" else "**Me (then)**"
            lines += [who, "", m.content.strip(), ""]
            if m.citations:
                lines += [
                    "Sources: "
                    + "; ".join(f"[{c['n']}] {c['date']} {c['title']} ({c['path']})" for c in m.citations),
                    "",
                ]
        return "\n".join(lines).rstrip() + "\n"

    def close(self) -> None:
        self._db.close()
