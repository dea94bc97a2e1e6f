"""What the CLI prints and writes: escape sequences stripped, pipes closed early, errors in one
line, output files that never clobber, conversations not saved when asked (issues 9 and 15)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.config import load_settings
from journal_me.conversations import ConversationStore

REPO = Path(__file__).resolve().parents[2]
OSC52 = "\x1b]52;c;cGF5bG9hZA==\x07"  # "set the clipboard to 'payload'"
HOSTILE_TITLE = f"Evil{OSC52}\x1b[2J\x1b]0;pwned\x07 title"

Run = Callable[..., tuple[int, str, str]]


def _no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\x9d" not in text


@pytest.fixture
def hostile_vault(vault: Path, write: Callable[..., Path]) -> Path:
    write(
        vault,
        "journal/2026/2026-03-02.md",
        f'---\ntitle: "{HOSTILE_TITLE.encode("unicode_escape").decode()}"\ntags: [boats]\n---\n'
        "The lighthouse keeper \x1b]52;c;c2VjcmV0\x07waved at Evilboat\x1b[31m again.\n",
    )
    write(vault, "journal/2026/2026-03-03.md", "A calm day by the lighthouse. #boats\n")
    write(vault, "odd\x1b[2Jname.md", "Another lighthouse note.\n")
    return vault


@pytest.fixture
def run(hostile_vault: Path, run_cli: Run) -> Run:
    return run_cli


# -- 1. control characters -----------------------------------------------------------------
def test_search_prints_titles_names_and_passages_without_escape_sequences(run: Run) -> None:
    code, out, err = run("search", "lighthouse")
    assert code == 0, err
    _no_escapes(out)
    _no_escapes(err)
    assert "Evil title" in out  # the title minus its sequences
    assert "waved at Evilboat again" in out
    assert "oddname.md" in out  # the file name, cleaned
    # JSON keeps the exact text, escaped (\u001b), so nothing raw reaches a terminal either
    code, out, _ = run("search", "--json", "lighthouse")
    _no_escapes(out)
    titles = {h["title"] for h in json.loads(out)["hits"]}
    assert HOSTILE_TITLE in titles


def test_entities_and_doctor_output_is_clean(run: Run, hostile_vault: Path) -> None:
    (hostile_vault / "bad\x1b]0;x\x07.md").write_bytes(b"caf\xe9\n")  # a warning naming the file
    code, out, err = run("entities")
    assert code == 0, err
    _no_escapes(out)
    code, out, err = run("doctor")
    _no_escapes(out + err)
    assert "bad.md: not UTF-8 text" in out


def test_chats_list_and_show_are_clean(run: Run, hostile_vault: Path) -> None:
    store = ConversationStore(load_settings(vault=hostile_vault).conversations_file)
    conv = store.create(HOSTILE_TITLE)
    store.add_message(conv.id, "assistant", f"an answer {OSC52}with a sequence")
    store.close()
    code, out, _ = run("chats", "list")
    assert code == 0 and "Evil title" in out
    _no_escapes(out)
    code, out, _ = run("chats", "show", str(conv.id))
    assert code == 0 and "an answer with a sequence" in out
    _no_escapes(out)


def test_json_escapes_c1_controls() -> None:
    from journal_me.commands.output import dumps_json

    text = dumps_json({"t": "a\x9b31mb\x1bc\u2028é"})
    assert "\x9b" not in text and "\x1b" not in text and "\u2028" not in text and "é" in text
    assert json.loads(text) == {"t": "a\x9b31mb\x1bc\u2028é"}


# -- 3. pipes and errors -------------------------------------------------------------------
def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        JOURNAL_ME_DATA_DIR=str(tmp_path / "data"),
        JOURNAL_ME_CONFIG=str(tmp_path / "config.toml"),
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--json", "--limit", "200", "lighthouse"],  # more than a pipe buffer (64 KB)
        ["entities", "--json"],
        ["chats", "list"],
        ["model", "list"],
    ],
)
def test_closing_the_pipe_early_is_quiet(args: list[str], hostile_vault: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    if args[0] == "chats":  # enough conversations to fill the pipe
        store = ConversationStore(load_settings(vault=hostile_vault, env=env).conversations_file)
        for i in range(3000):
            store.create(f"conversation number {i} " + "x" * 40)
        store.close()
    if args[0] == "entities":  # more entities than a pipe buffer holds
        for i in range(150):
            tags = " ".join(f"#topic{i}x{j}" for j in range(10))
            (hostile_vault / f"t{i}.md").write_text(f"Notes {tags}\n", encoding="utf-8")
    if args[0] == "search":
        for i in range(200):
            (hostile_vault / f"n{i}.md").write_text(f"lighthouse {i} " + "word " * 200, encoding="utf-8")
    cmd = [sys.executable, "-m", "journal_me.cli", "--vault", str(hostile_vault), *args]
    pipeline = " ".join(f"'{c}'" for c in cmd) + " | head -c 10"
    proc = subprocess.run(
        ["bash", "-c", pipeline], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert len(proc.stdout) <= 10
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize(
    "args", [["delete", "99"], ["show", "99"], ["export", "99"], ["rename", "99", "new", "title"]]
)
def test_chats_on_a_missing_conversation_fail(run: Run, args: list[str]) -> None:
    code, _out, err = run("chats", *args)
    assert code == 1
    assert "no conversation 99" in err


def test_chats_delete_says_what_it_did(run: Run, hostile_vault: Path) -> None:
    store = ConversationStore(load_settings(vault=hostile_vault).conversations_file)
    cid = store.create("to delete").id
    store.close()
    code, out, _ = run("chats", "delete", str(cid))
    assert code == 0 and f"deleted conversation {cid}" in out
    assert run("chats", "delete", str(cid))[0] == 1


def test_a_vault_that_is_a_file_says_so(run: Run, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "journal.md"
    not_a_folder.write_text("hello\n", encoding="utf-8")
    for args in (["search", "x"], ["add", "text"], ["doctor"]):
        code, _, err = run(*args, vault=not_a_folder)
        assert code == 1
        assert "is a file, not a folder" in err, err
        assert "not found" not in err


def test_a_missing_vault_points_at_init(run: Run, tmp_path: Path) -> None:
    code, _, err = run("search", "x", vault=tmp_path / "nowhere")
    assert code == 1
    assert f"no journal at {tmp_path / 'nowhere'}" in err and "journal-me init" in err


# -- 5. output files -----------------------------------------------------------------------
@pytest.fixture
def chat_id(hostile_vault: Path) -> int:
    store = ConversationStore(load_settings(vault=hostile_vault).conversations_file)
    conv = store.create("boats")
    store.add_message(conv.id, "user", "what about boats?")
    store.close()
    return conv.id


def test_chats_export_refuses_the_vault_and_existing_files(
    run: Run, hostile_vault: Path, tmp_path: Path, chat_id: int
) -> None:
    entry = hostile_vault / "journal/2026/2026-03-03.md"
    before = entry.read_bytes()
    code, _, err = run("chats", "export", str(chat_id), "-o", str(entry))
    assert code == 1 and "inside the vault" in err
    code, _, err = run("chats", "export", str(chat_id), "-o", str(hostile_vault / "new.md"))
    assert code == 1 and not (hostile_vault / "new.md").exists()
    code, _, err = run("chats", "export", str(chat_id), "-o", str(entry), "--force")
    assert code == 1  # --force never makes the vault a target
    assert entry.read_bytes() == before

    target = tmp_path / "out" / "chat.md"
    code, _, err = run("chats", "export", str(chat_id), "-o", str(target))
    assert code == 1 and "no folder" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    target.parent.mkdir()
    target.write_text("keep me\n", encoding="utf-8")
    code, _, err = run("chats", "export", str(chat_id), "-o", str(target))
    assert code == 1 and "already exists" in err and "--force" in err
    assert target.read_text(encoding="utf-8") == "keep me\n"
    code, _out, err = run("chats", "export", str(chat_id), "-o", str(target), "--force")
    assert code == 0, err
    assert "what about boats?" in target.read_text(encoding="utf-8")
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_chats_export_reports_os_errors_in_one_line(run: Run, tmp_path: Path, chat_id: int) -> None:
    too_long = tmp_path / ("x" * 300 + ".md")  # ENAMETOOLONG, whoever runs the test
    code, _, err = run("chats", "export", str(chat_id), "-o", str(too_long))
    assert code == 1 and "cannot write" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bridge_output_file_rules(
    run: Run, hostile_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(""))
    entry = hostile_vault / "journal/2026/2026-03-03.md"
    before = entry.read_bytes()
    code, _, err = run("bridge", "reply", "how", "are", "the", "boats?", "-o", str(entry))
    assert code == 1 and entry.read_bytes() == before
    code, _, err = run("bridge", "reply", "how", "are", "the", "boats?", "-o", str(entry), "--force")
    assert code == 1 and "inside the vault" in err and entry.read_bytes() == before
    code, _, err = run("bridge", "reply", "boats?", "-o", str(tmp_path / "missing" / "d.txt"))
    assert code == 1 and "no folder" in err and "Traceback" not in err
    target = tmp_path / "draft.txt"
    code, out, err = run("bridge", "reply", "boats?", "-o", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8").strip() == out.strip()
    code, _, err = run("bridge", "reply", "boats?", "-o", str(target))
    assert code == 1 and "already exists" in err


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def isatty(self) -> bool:
        return False

    def read(self) -> str:
        return self.text


# -- 6. --no-save / save_conversations ------------------------------------------------------
def _rows(path: Path) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return (
            db.execute("SELECT count(*) FROM conversations").fetchone()[0] if "conversations" in tables else 0
        )
    finally:
        db.close()


def test_ask_and_bridge_no_save(run: Run, hostile_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(""))
    db = load_settings(vault=hostile_vault).conversations_file
    code, out, err = run("ask", "--no-save", "what", "about", "the", "lighthouse?")
    assert code == 0, err
    code, out, err = run("bridge", "reply", "boats?", "--no-save")
    assert code == 0, err
    assert _rows(db) == 0
    code, out, err = run("ask", "--json", "--no-save", "lighthouse?")
    assert json.loads(out)["conversation"] is None
    # saved by default
    assert run("ask", "lighthouse?")[0] == 0
    assert _rows(db) == 1


def test_save_conversations_false_in_the_config(
    run: Run, hostile_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(""))
    (tmp_path / "config.toml").write_text("save_conversations = false\n", encoding="utf-8")
    db = load_settings(vault=hostile_vault).conversations_file
    assert run("ask", "lighthouse?")[0] == 0
    assert run("bridge", "reply", "boats?")[0] == 0
    assert _rows(db) == 0
    # what was saved before is still listed
    store = ConversationStore(db)
    store.create("from before")
    store.close()
    code, out, _ = run("chats", "list")
    assert code == 0 and "from before" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--limit", "-1", "x"], "expected 1 to 1000, got -1"),
        (["search", "--limit", "0", "x"], "expected 1 to 1000, got 0"),
        (["search", "--limit", "ten", "x"], "expected a whole number"),
        (["entities", "--limit", "-5"], "expected 0 to 1000000, got -5"),
    ],
)
def test_limit_is_range_checked(
    hostile_vault: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--vault", str(hostile_vault), *args])
    assert exc.value.code == 2
    assert f"--limit: {message}" in capsys.readouterr().err


def test_training_progress_lines_are_clean() -> None:
    import io

    from rich.console import Console

    from journal_me.commands.train import _RichReporter

    buffer = io.StringIO()
    with _RichReporter(Console(file=buffer, force_terminal=False, width=200)) as ui:
        ui.note(f"skipped an entry titled {HOSTILE_TITLE}")
        ui.done("synth", 1.0, f"12 pairs from {HOSTILE_TITLE}")
    _no_escapes(buffer.getvalue())
    assert "Evil title" in buffer.getvalue()


def test_error_lines_are_clean(run: Run, tmp_path: Path) -> None:
    code, _, err = run("search", "x", vault=tmp_path / "gone\x1b]0;pwned\x07")
    assert code == 1 and "no journal at" in err
    _no_escapes(err)
