"""Broken derived state never stops ``ask`` (issue 15) and conversations stay private (issue 9):
a corrupt ``conversations.sqlite3`` is moved aside with one line saying so, a corrupt
``registry.json`` is one line, and the database with its -wal/-shm files is 0600."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journal_me.config import load_settings
from journal_me.conversations import ConversationStore

Run = Callable[..., tuple[int, str, str]]


class _NoStdin:
    def isatty(self) -> bool:
        return False

    def read(self) -> str:
        return ""


@pytest.fixture
def run(
    vault: Path,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Run,
) -> Run:
    write(vault, "journal/2026/2026-03-03.md", "A calm day by the lighthouse with Sam.\n")
    monkeypatch.setattr("sys.stdin", _NoStdin())

    return run_cli


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_corrupt_conversations_file_is_moved_aside_and_ask_answers(run: Run, vault: Path) -> None:
    db = load_settings(vault=vault).conversations_file
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not sqlite at all \x00\xff" * 100)
    code, out, err = run("ask", "what", "about", "the", "lighthouse?")
    assert code == 0, err
    assert out.strip()  # it answered
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "conversations.sqlite3" in line]
    assert len(lines) == 1 and "moved it to conversations.sqlite3.corrupt-" in lines[0]
    assert "started a new one" in lines[0]
    aside = [p for p in db.parent.iterdir() if p.name.startswith("conversations.sqlite3.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not sqlite")
    # the new database took the conversation, and the next run is quiet
    code, out, err = run("chats", "list")
    assert code == 0 and "lighthouse" in out and "corrupt" not in err


def test_unusable_conversations_path_keeps_the_answer_in_memory(run: Run, vault: Path) -> None:
    db = load_settings(vault=vault).conversations_file
    db.mkdir(parents=True)  # a folder where the file should be
    code, out, err = run("ask", "lighthouse?")
    assert code == 0, err
    assert out.strip() and "Traceback" not in err
    assert "not saved" in err


def test_conversation_files_are_private_whatever_the_umask(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "data" / "conversations.sqlite3"
    store = ConversationStore(path)
    conv = store.create("private things")
    store.add_message(conv.id, "assistant", "quoted from a private entry")
    companions = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    assert all(p.exists() for p in companions)  # WAL mode, connection open
    for p in (path, *companions):
        assert _mode(p) == 0o600, (p.name, oct(_mode(p)))
    store.close()
    # an existing file left world-readable by an older version is tightened on open
    os.chmod(path, 0o644)
    ConversationStore(path).close()
    assert _mode(path) == 0o600


def test_corrupt_model_registry_is_one_line(run: Run, vault: Path) -> None:
    registry = load_settings(vault=vault).vault_data_dir / "registry.json"
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text("{not json", encoding="utf-8")
    code, out, err = run("model", "list")
    assert code == 1
    assert "registry.json" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = run("ask", "lighthouse?")
    assert code == 0, err
    assert out.strip() and "Traceback" not in err
    assert "registry.json" in err and "memory-only" in err
    code, out, err = run("doctor")
    assert code == 1 and "Traceback" not in err
    assert any(line.startswith("model:") and "registry.json" in line for line in out.splitlines()), out
    registry.write_text(json.dumps(["a", "list"]), encoding="utf-8")
    code, _, err = run("model", "list")
    assert code == 1 and "registry.json" in err and "Traceback" not in err
