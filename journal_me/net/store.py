"""The network's local state: peers, tokens, the consent outbox and the log.

One SQLite file, ``network.sqlite3`` in the vault's data dir (0600, WAL). Every change is one
transaction, so a ``kill -9`` of ``journal-me serve`` leaves the outbox, the log and the task
states as the last committed change left them.

- Tokens are 32 random bytes (``secrets.token_urlsafe(32)``); only their SHA-256 is stored (a
  high-entropy secret needs no slow hash). A token's *scope* is ``owner`` (the owner's own
  agents) or a peer's name and role. Removing a peer revokes its tokens.
- A peer's own token for *us* to call *them* (``peers add``) has to be sent, so it is kept as
  given, in this owner-only file.
- The outbox holds every question a peer asked, with the draft answer, in A2A task states:
  submitted → working → input-required (waiting for the owner) → completed / rejected.
- The log holds everything received from and said to the network on the owner's behalf.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from journal_me.net import NETWORK_DB

Mode = Literal["manual", "auto"]
TaskState = Literal["submitted", "working", "input-required", "completed", "rejected", "canceled", "failed"]
TASK_STATES: tuple[str, ...] = (
    "submitted",
    "working",
    "input-required",
    "completed",
    "rejected",
    "canceled",
    "failed",
)
FINAL_STATES = frozenset({"completed", "rejected", "canceled", "failed"})
OWNER = "owner"
PEER_NAME_MAX = 64
QUESTION_MAX = 8000  # characters of a peer's question kept (the server refuses bigger bodies)


class NetStoreError(ValueError):
    """A request the store cannot do: unknown peer or task, bad name, wrong state."""


_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS peers (
        name TEXT PRIMARY KEY,
        url TEXT,
        role TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'manual',
        outbound_token TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS tokens (
        hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,              -- 'owner' or 'peer'
        peer TEXT,
        role TEXT,
        created TEXT NOT NULL,
        revoked TEXT
    );
    CREATE TABLE IF NOT EXISTS tasks (
        id TEXT PRIMARY KEY,
        context_id TEXT NOT NULL,
        peer TEXT NOT NULL,
        role TEXT NOT NULL,
        skill TEXT NOT NULL,
        question TEXT NOT NULL,
        draft TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        answer TEXT,
        reason TEXT NOT NULL DEFAULT '',
        memory_only INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
    CREATE TABLE IF NOT EXISTS role_modes (
        role TEXT PRIMARY KEY,
        mode TEXT NOT NULL               -- the mode a new peer of this role starts in
    );
    CREATE TABLE IF NOT EXISTS log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        peer TEXT NOT NULL,
        direction TEXT NOT NULL,         -- 'in' (received) or 'out' (said on the owner's behalf)
        kind TEXT NOT NULL,
        text TEXT NOT NULL
    );
    """,
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """A peer name: letters, digits, ``-``/``_``/``.``; 1–64 characters; kept lower-case."""
    low = name.strip().lower()
    if not low or len(low) > PEER_NAME_MAX or not all(c.isalnum() or c in "-_." for c in low):
        raise NetStoreError(f"bad peer name {name!r}: use letters, digits, '-', '_' or '.' (at most 64)")
    if low == OWNER:
        raise NetStoreError("'owner' is reserved: choose another peer name")
    return low


class NetDB:
    """The SQLite file; a short-lived connection per operation (safe across threads)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / NETWORK_DB
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.read() as db:  # executescript runs its own transaction
            for script in _SCHEMA:
                db.executescript(script)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.chmod(str(self.path) + suffix, 0o600)

    def connect(self) -> sqlite3.Connection:
        old = os.umask(0o077)
        try:
            db = sqlite3.connect(self.path, timeout=15, isolation_level=None, check_same_thread=False)
        finally:
            os.umask(old)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        return db

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        db = self.connect()
        try:
            yield db
        finally:
            db.close()


# --- peers and tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A friend's second me. ``url``/``outbound_token``: how we reach them (``peers add``);
    ``role``: what of our memory may be used to answer them; ``mode``: ``manual`` (answers
    wait in the outbox for the owner) or ``auto`` (they go at once)."""

    name: str
    url: str | None
    role: str
    mode: Mode
    outbound_token: str | None
    created: str
    can_call_us: bool = False  # holds a live token we issued (``peers invite``)


@dataclass(frozen=True)
class Invitation:
    """What to give a friend: our server's URL and a token (shown once, stored hashed)."""

    name: str
    role: str
    url: str
    token: str

    def command(self) -> str:
        """The line the friend runs (their name for us is theirs to choose)."""
        return f"journal-me peers add NAME {self.url} {self.token}"


@dataclass(frozen=True)
class Scope:
    """Who a request speaks for: the owner, or a peer within its role."""

    kind: Literal["owner", "peer"]
    peer: str | None = None
    role: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.kind == "owner"

    @property
    def label(self) -> str:
        return OWNER if self.is_owner else f"{self.peer} ({self.role})"


OWNER_SCOPE = Scope("owner")


def _peer(row: sqlite3.Row, live: bool = False) -> Peer:
    mode: Mode = "auto" if row["mode"] == "auto" else "manual"
    return Peer(row["name"], row["url"], row["role"], mode, row["outbound_token"], row["created"], live)


class PeerStore:
    """Peers and the tokens issued to them (and to the owner's own agents)."""

    def __init__(self, data_dir: Path) -> None:
        self.db = NetDB(data_dir)

    def invite(self, name: str, role: str, base_url: str) -> Invitation:
        """A one-time invitation for ``name``: a new token with ``role``'s scope. An older
        token of the same peer is revoked (the last invitation is the one that works)."""
        name = check_name(name)
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.db.tx() as db:
            row = db.execute("SELECT name FROM peers WHERE name = ?", (name,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO peers (name, url, role, mode, outbound_token, created) "
                    "VALUES (?, NULL, ?, ?, NULL, ?)",
                    (name, role, self._role_mode(db, role), now),
                )
            else:
                db.execute("UPDATE peers SET role = ? WHERE name = ?", (role, name))
            db.execute("UPDATE tokens SET revoked = ? WHERE peer = ? AND revoked IS NULL", (now, name))
            db.execute(
                "INSERT INTO tokens (hash, kind, peer, role, created) VALUES (?, 'peer', ?, ?, ?)",
                (hash_token(token), name, role, now),
            )
        return Invitation(name, role, base_url.rstrip("/"), token)

    def issue_owner_token(self) -> str:
        """A token with the owner's rights (for the owner's agents over HTTP); shown once."""
        token = secrets.token_urlsafe(32)
        with self.db.tx() as db:
            db.execute(
                "INSERT INTO tokens (hash, kind, peer, role, created) VALUES (?, 'owner', NULL, NULL, ?)",
                (hash_token(token), _now()),
            )
        return token

    def revoke_owner_tokens(self) -> int:
        with self.db.tx() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked = ? WHERE kind = 'owner' AND revoked IS NULL", (_now(),)
            )
            return int(cur.rowcount)

    def add(self, name: str, url: str, token: str, role: str = "social") -> Peer:
        """Record how to reach a friend's second me (the URL and token of their invitation).
        An invited peer keeps its role unless ``role`` is given differently here."""
        name = check_name(name)
        if not url.startswith(("http://", "https://")):
            raise NetStoreError(f"peer URL must start with http:// or https:// (got {url!r})")
        if not token.strip():
            raise NetStoreError("empty token: paste the token from the invitation")
        with self.db.tx() as db:
            row = db.execute("SELECT name FROM peers WHERE name = ?", (name,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO peers (name, url, role, mode, outbound_token, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, url.rstrip("/"), role, self._role_mode(db, role), token.strip(), _now()),
                )
            else:
                db.execute(
                    "UPDATE peers SET url = ?, outbound_token = ?, role = ? WHERE name = ?",
                    (url.rstrip("/"), token.strip(), role, name),
                )
        return self.get(name)

    def get(self, name: str) -> Peer:
        name = name.strip().lower()
        with self.db.read() as db:
            row = db.execute("SELECT * FROM peers WHERE name = ?", (name,)).fetchone()
            live = self._live(db, name)
        if row is None:
            raise NetStoreError(f"no peer named {name!r} (journal-me peers list)")
        return _peer(row, live)

    @staticmethod
    def _live(db: sqlite3.Connection, name: str) -> bool:
        q = "SELECT 1 FROM tokens WHERE peer = ? AND revoked IS NULL LIMIT 1"
        return db.execute(q, (name,)).fetchone() is not None

    def list(self) -> list[Peer]:
        with self.db.read() as db:
            rows = db.execute("SELECT * FROM peers ORDER BY name").fetchall()
            return [_peer(r, self._live(db, r["name"])) for r in rows]

    def remove(self, name: str) -> None:
        """Forget a peer and revoke every token issued to it (its next call gets 401)."""
        name = name.strip().lower()
        with self.db.tx() as db:
            cur = db.execute("DELETE FROM peers WHERE name = ?", (name,))
            db.execute("UPDATE tokens SET revoked = ? WHERE peer = ? AND revoked IS NULL", (_now(), name))
        if not cur.rowcount:
            raise NetStoreError(f"no peer named {name!r} (journal-me peers list)")

    def set_mode(self, name: str, mode: Mode) -> Peer:
        if mode not in ("manual", "auto"):
            raise NetStoreError(f"mode must be manual or auto (got {mode!r})")
        name = name.strip().lower()
        with self.db.tx() as db:
            cur = db.execute("UPDATE peers SET mode = ? WHERE name = ?", (mode, name))
        if not cur.rowcount:
            raise NetStoreError(f"no peer named {name!r} (journal-me peers list)")
        return self.get(name)

    @staticmethod
    def _role_mode(db: sqlite3.Connection, role: str) -> str:
        row = db.execute("SELECT mode FROM role_modes WHERE role = ?", (role,)).fetchone()
        return "auto" if row is not None and row["mode"] == "auto" else "manual"

    def set_role_mode(self, role: str, mode: Mode) -> tuple[Peer, ...]:
        """``auto``/``manual`` for a whole role: every peer of that role now, and each new
        one from now on (a peer's own ``set_mode`` still changes it alone)."""
        if mode not in ("manual", "auto"):
            raise NetStoreError(f"mode must be manual or auto (got {mode!r})")
        with self.db.tx() as db:
            db.execute("INSERT OR REPLACE INTO role_modes (role, mode) VALUES (?, ?)", (role, mode))
            db.execute("UPDATE peers SET mode = ? WHERE role = ?", (mode, role))
        return tuple(p for p in self.list() if p.role == role)

    def role_modes(self) -> dict[str, str]:
        with self.db.read() as db:
            return {r["role"]: r["mode"] for r in db.execute("SELECT role, mode FROM role_modes").fetchall()}

    def set_role(self, name: str, role: str) -> Peer:
        name = name.strip().lower()
        with self.db.tx() as db:
            cur = db.execute("UPDATE peers SET role = ? WHERE name = ?", (role, name))
            db.execute("UPDATE tokens SET role = ? WHERE peer = ? AND revoked IS NULL", (role, name))
        if not cur.rowcount:
            raise NetStoreError(f"no peer named {name!r} (journal-me peers list)")
        return self.get(name)

    def authenticate(self, token: str) -> Scope | None:
        """The scope of a bearer token, or None (unknown or revoked). The role comes from the
        peer as it is now (``peers`` may have changed it since the invitation)."""
        if not token or len(token) > 512:
            return None
        with self.db.read() as db:
            row = db.execute(
                "SELECT kind, peer, role FROM tokens WHERE hash = ? AND revoked IS NULL", (hash_token(token),)
            ).fetchone()
            if row is None:
                return None
            if row["kind"] == "owner":
                return OWNER_SCOPE
            peer = db.execute("SELECT role FROM peers WHERE name = ?", (row["peer"],)).fetchone()
        if peer is None:
            return None
        return Scope("peer", row["peer"], peer["role"])


# --- the consent outbox ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """A peer's question and our answer, as an A2A task."""

    id: str
    peer: str
    role: str
    skill: str
    question: str
    draft: str
    state: str
    created: str
    updated: str
    answer: str | None
    context_id: str = ""
    reason: str = ""
    memory_only: bool = False

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        peer=row["peer"],
        role=row["role"],
        skill=row["skill"],
        question=row["question"],
        draft=row["draft"],
        state=row["state"],
        created=row["created"],
        updated=row["updated"],
        answer=row["answer"],
        context_id=row["context_id"],
        reason=row["reason"],
        memory_only=bool(row["memory_only"]),
    )


def _log(db: sqlite3.Connection, peer: str, direction: str, kind: str, text: str) -> None:
    db.execute(
        "INSERT INTO log (at, peer, direction, kind, text) VALUES (?, ?, ?, ?, ?)",
        (_now(), peer, direction, kind, text),
    )


class Outbox:
    """Questions from peers and the answers held for the owner's consent."""

    def __init__(self, data_dir: Path) -> None:
        self.db = NetDB(data_dir)

    def create(
        self,
        peer: str,
        role: str,
        skill: str,
        question: str,
        *,
        task_id: str | None = None,
        context_id: str | None = None,
    ) -> OutboxItem:
        """A new task (``submitted``) for a peer's question; the question is logged."""
        tid = task_id or uuid.uuid4().hex
        now = _now()
        question = question[:QUESTION_MAX]
        with self.db.tx() as db:
            if db.execute("SELECT 1 FROM tasks WHERE id = ?", (tid,)).fetchone() is not None:
                raise NetStoreError(f"task {tid} exists already")
            db.execute(
                "INSERT INTO tasks (id, context_id, peer, role, skill, question, state, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, 'submitted', ?, ?)",
                (tid, context_id or uuid.uuid4().hex, peer, role, skill, question, now, now),
            )
            _log(db, peer, "in", skill, question)
        return self.get(tid)

    def set_state(self, task_id: str, state: str) -> OutboxItem:
        if state not in TASK_STATES:
            raise NetStoreError(f"unknown task state {state!r}")
        with self.db.tx() as db:
            db.execute("UPDATE tasks SET state = ?, updated = ? WHERE id = ?", (state, _now(), task_id))
        return self.get(task_id)

    def set_draft(self, task_id: str, draft: str, *, send: bool, memory_only: bool = False) -> OutboxItem:
        """The draft is ready: sent at once (``send``: an ``auto`` peer) → ``completed`` and
        logged; else held → ``input-required`` until the owner approves or refuses it."""
        now = _now()
        with self.db.tx() as db:
            row = db.execute("SELECT peer, skill, state FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise NetStoreError(f"no task {task_id}")
            if row["state"] in FINAL_STATES:
                return self.get(task_id)
            if send:
                db.execute(
                    "UPDATE tasks SET draft = ?, answer = ?, state = 'completed', updated = ?, "
                    "memory_only = ? "
                    "WHERE id = ?",
                    (draft, draft, now, int(memory_only), task_id),
                )
                _log(db, row["peer"], "out", row["skill"], draft)
            else:
                db.execute(
                    "UPDATE tasks SET draft = ?, state = 'input-required', updated = ?, memory_only = ? "
                    "WHERE id = ?",
                    (draft, now, int(memory_only), task_id),
                )
        return self.get(task_id)

    def get(self, task_id: str) -> OutboxItem:
        with self.db.read() as db:
            row = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise NetStoreError(f"no task {task_id!r} in the outbox")
        return _item(row)

    def find(self, task_id: str) -> OutboxItem | None:
        try:
            return self.get(task_id)
        except NetStoreError:
            return None

    def pending(self) -> list[OutboxItem]:
        """Drafts waiting for the owner (oldest first)."""
        with self.db.read() as db:
            rows = db.execute(
                "SELECT * FROM tasks WHERE state = 'input-required' ORDER BY created, rowid"
            ).fetchall()
        return [_item(r) for r in rows]

    def items(self, limit: int = 100, *, peer: str | None = None) -> list[OutboxItem]:
        """The latest tasks, newest first (``peer``: only that peer's)."""
        q = (
            "SELECT * FROM tasks"
            + (" WHERE peer = ?" if peer else "")
            + " ORDER BY created DESC, rowid DESC LIMIT ?"
        )
        params: tuple[object, ...] = (peer, limit) if peer else (limit,)
        with self.db.read() as db:
            return [_item(r) for r in db.execute(q, params).fetchall()]

    def approve(self, task_id: str, text: str | None = None) -> OutboxItem:
        """Send the draft (or ``text``, the owner's edit): ``completed``, logged."""
        with self.db.tx() as db:
            row = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise NetStoreError(f"no task {task_id!r} in the outbox")
            if row["state"] != "input-required":
                raise NetStoreError(f"task {task_id} is {row['state']}, not waiting for approval")
            answer = text if text is not None and text.strip() else row["draft"]
            db.execute(
                "UPDATE tasks SET answer = ?, state = 'completed', updated = ? WHERE id = ?",
                (answer, _now(), task_id),
            )
            _log(
                db, row["peer"], "out", row["skill"] + (" (edited)" if answer != row["draft"] else ""), answer
            )
        return self.get(task_id)

    def refuse(self, task_id: str, reason: str = "") -> OutboxItem:
        """Send nothing: ``rejected`` (the peer sees the reason, if any), logged."""
        with self.db.tx() as db:
            row = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise NetStoreError(f"no task {task_id!r} in the outbox")
            if row["state"] in FINAL_STATES:
                raise NetStoreError(f"task {task_id} is {row['state']} already")
            db.execute(
                "UPDATE tasks SET state = 'rejected', reason = ?, updated = ? WHERE id = ?",
                (reason, _now(), task_id),
            )
            _log(db, row["peer"], "out", "refused", reason or "(no reason given)")
        return self.get(task_id)

    def cancel(self, task_id: str) -> OutboxItem:
        """The peer withdrew its question (A2A ``CancelTask``)."""
        with self.db.tx() as db:
            row = db.execute("SELECT state, peer FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise NetStoreError(f"no task {task_id!r}")
            if row["state"] not in FINAL_STATES:
                db.execute("UPDATE tasks SET state = 'canceled', updated = ? WHERE id = ?", (_now(), task_id))
                _log(db, row["peer"], "in", "canceled", task_id)
        return self.get(task_id)

    def wait(
        self, task_id: str, *, after: str | None = None, timeout: float = 30.0, poll: float = 0.2
    ) -> OutboxItem:
        """Block until the task's state differs from ``after`` (or is final), or ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.get(task_id)
            if item.final or (after is not None and item.state != after) or time.monotonic() >= deadline:
                return item
            time.sleep(poll)


# --- the log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    when: str
    peer: str
    direction: str  # "in" or "out"
    kind: str
    text: str


class NetLog:
    """Everything received from peers and said on the owner's behalf (newest first)."""

    def __init__(self, data_dir: Path) -> None:
        self.db = NetDB(data_dir)

    def add(self, peer: str, direction: Literal["in", "out"], kind: str, text: str) -> None:
        with self.db.tx() as db:
            _log(db, peer, direction, kind, text)

    def entries(self, limit: int = 200, *, peer: str | None = None) -> list[LogEntry]:
        q = "SELECT * FROM log" + (" WHERE peer = ?" if peer else "") + " ORDER BY id DESC LIMIT ?"
        params: tuple[object, ...] = (peer, limit) if peer else (limit,)
        with self.db.read() as db:
            rows = db.execute(q, params).fetchall()
        return [LogEntry(r["at"], r["peer"], r["direction"], r["kind"], r["text"]) for r in rows]


def network_dir(vault_data_dir: Path) -> Path:
    """Where ``network.sqlite3`` lives: the vault's data dir (one network identity per vault)."""
    return Path(vault_data_dir)
