"""The CLI end to end through ``journal_me.cli.main``."""

from __future__ import annotations

import _thread
import datetime as dt
import io
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

import journal_me.commands.journal as journal_cmds
from journal_me.config import load_settings
from journal_me.memory.index import INDEX_NAME

from .conftest import wait_for

ENTRIES = {
    "journal/2026/2026-03-02.md": (
        "---\ntitle: Notice\ntags: [work/halden]\n---\nHanded in my notice to Graham. #work\n"
    ),
    "journal/2026/2026-04-11.md": "Moving day. Biscuit hid behind the boiler in the new Leith flat.\n",
    "journal/2026/2026-05-10.md": "Pottery class with Jamie watching. Made a bowl. #pottery\n",
    "people/Biscuit.md": "---\ntype: pet\naliases: [the cat]\n---\nGinger cat, six, hates the vacuum.\n",
}


@pytest.fixture
def cli_vault(vault: Path, write: Callable[..., Path]) -> Path:
    for rel, text in ENTRIES.items():
        write(vault, rel, text)
    return vault


@pytest.fixture
def run(cli_vault: Path, run_cli: Callable[..., tuple[int, str, str]]) -> Callable[..., tuple[int, str, str]]:
    return run_cli


def search_json(run: Callable[..., tuple[int, str, str]], *args: str) -> list[dict[str, Any]]:
    code, out, err = run("search", "--json", *args)
    assert code == 0, err
    data = json.loads(out)
    hits: list[dict[str, Any]] = data["hits"]
    return hits


def test_add_with_natural_language_date(run: Callable[..., tuple[int, str, str]], cli_vault: Path) -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    code, out, err = run("add", "--date", "yesterday", "Found", "a", "conker", "in", "my", "coat.")
    assert code == 0, err
    rel = f"journal/{yesterday.year}/{yesterday.isoformat()}.md"
    assert out.strip() == f"added to {rel} ({yesterday.isoformat()})"
    assert (cli_vault / rel).read_text(encoding="utf-8") == "Found a conker in my coat.\n"
    # a second add on the same day appends (jrnl-style)
    code, out, _ = run("add", "--date", yesterday.isoformat(), "And a second conker.")
    assert code == 0
    assert (cli_vault / rel).read_text(
        encoding="utf-8"
    ) == "Found a conker in my coat.\n\nAnd a second conker.\n"
    hits = search_json(run, "conker")
    assert [h["path"] for h in hits] == [rel]
    assert hits[0]["date"] == yesterday.isoformat()


def test_add_from_stdin_and_errors(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Piped in: a note about herons.\n"))
    code, _, err = run("add", "--date", "2026-06-02", "-")
    assert code == 0, err
    assert (cli_vault / "journal/2026/2026-06-02.md").read_text(
        encoding="utf-8"
    ) == "Piped in: a note about herons.\n"
    code, _, err = run("add", "--date", "the twelfth of never", "text")
    assert code == 1 and "cannot understand the date" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run("add", "")
    assert code == 1 and "nothing to add" in err


def test_search_json_limit_dates_and_tags(run: Callable[..., tuple[int, str, str]]) -> None:
    hits = search_json(run, "Biscuit", "boiler", "pottery", "notice")
    assert len(hits) >= 3
    for h in hits:
        assert set(h) >= {"path", "date", "title", "passage", "lines", "score", "highlights"}
        for a, b in h["highlights"]:
            assert 0 <= a < b <= len(h["passage"])
    assert len(search_json(run, "--limit", "1", "Biscuit boiler pottery notice")) == 1
    after = search_json(run, "--after", "2026-04-01", "Biscuit boiler pottery notice")
    assert after and all(h["date"] >= "2026-04-01" for h in after)
    before = search_json(run, "--before", "March 2026", "Biscuit boiler pottery notice")
    assert [h["path"] for h in before] == ["journal/2026/2026-03-02.md"]
    tagged = search_json(run, "--tag", "work", "Biscuit boiler pottery notice")
    assert [h["path"] for h in tagged] == ["journal/2026/2026-03-02.md"]
    assert tagged[0]["title"] == "Notice"
    assert search_json(run, "--tag", "pottery", "--tag", "work", "notice pottery") == []
    code, _, err = run("search", "--after", "not a date at all", "x")
    assert code == 1 and "cannot understand the date" in err


def test_search_on_a_terminal_highlights_without_markup(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cli_vault / "2026-06-01.md").write_text(
        "The [bold red]kettle[/bold red] is not markup.\n", encoding="utf-8"
    )
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run("search", "kettle")
    assert code == 0
    assert "[bold red]" in out  # the user's text is printed as written
    assert "\x1b[1;33mkettle\x1b[0m" in out  # the query word is highlighted
    assert "2026-06-01.md:1" in out
    code, out, _ = run("search", "nothing-like-this-anywhere")
    assert code == 0 and "no matches" in out


def test_entities_json(run: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = run("entities", "--json")
    assert code == 0, err
    items = json.loads(out)
    by_name = {i["name"]: i for i in items}
    assert by_name["Biscuit"]["type"] == "person"
    assert "the cat" in by_name["Biscuit"]["aliases"]
    assert by_name["#pottery"]["type"] == "tag"
    assert by_name["#pottery"]["first"] == "2026-05-10"
    code, out, _ = run("entities", "--json", "--type", "tag")
    assert {i["type"] for i in json.loads(out)} == {"tag"}
    code, out, _ = run("entities")
    assert code == 0 and "Biscuit" in out
    # not a terminal: tab-separated, whole cells, in the --json order
    head, *rows = out.splitlines()
    assert head == "entity\ttype\tentries\tfirst\tlast\taliases"
    cells = [r.split("\t") for r in rows]
    assert [c[0] for c in cells] == [i["name"] for i in items]
    biscuit = next(c for c in cells if c[0] == "Biscuit")
    assert biscuit[1] == "person" and "the cat" in biscuit[5].split(", ")


def test_index_and_rebuild(run: Callable[..., tuple[int, str, str]], cli_vault: Path) -> None:
    code, out, _ = run("index")
    assert code == 0 and "4 added" in out
    code, out, _ = run("index")
    assert code == 0 and "4 unchanged" in out
    code, out, _ = run("index", "--rebuild")
    assert code == 0 and "4 added" in out and "0 unchanged" in out


def test_corrupt_index_note(run: Callable[..., tuple[int, str, str]], cli_vault: Path) -> None:
    run("index")
    index_dir = load_settings(vault=cli_vault).index_dir
    for p in index_dir.iterdir():
        if p.suffix in {".toc", ".seg"}:
            p.write_bytes(b"garbage")
    code, _, err = run("index")
    assert code == 0
    assert "note: index was unreadable" in err and "rebuilt it" in err
    assert search_json(run, "boiler")[0]["path"] == "journal/2026/2026-04-11.md"


def test_index_waits_for_a_held_lock(run: Callable[..., tuple[int, str, str]], cli_vault: Path) -> None:
    run("index")
    (cli_vault / "2026-07-01.md").write_text("A new entry to index.\n", encoding="utf-8")
    ix = windex.open_dir(str(load_settings(vault=cli_vault).index_dir), indexname=INDEX_NAME)
    holder = ix.writer()
    timer = threading.Timer(0.5, holder.cancel)
    timer.start()
    try:
        start = time.monotonic()
        code, out, err = run("index")
    finally:
        timer.join()
        ix.close()
    assert code == 0 and "1 added" in out
    assert time.monotonic() - start >= 0.4
    assert "index is busy in another journal-me process, waiting" in err


def test_doctor(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_cmds, "DOCTOR_CHECKS", [])  # the core's checks only
    code, out, _ = run("doctor")
    assert code == 0
    assert "entries:    4 indexed, 0 private" in out
    assert "all readable" in out
    (cli_vault / "bad.md").write_bytes(b"caf\xe9\n")
    (cli_vault / "yaml.md").write_text("---\ntitle: [oops\n---\nStill searchable.\n", encoding="utf-8")
    (cli_vault / "empty.md").write_text("", encoding="utf-8")
    code, out, _ = run("doctor")
    assert code == 1
    assert "3 file(s) need attention" in out
    assert "bad.md: not UTF-8 text" in out
    assert "empty.md: empty file" in out
    assert "yaml.md: invalid YAML front matter" in out
    assert "entries:    5 indexed" in out
    assert search_json(run, "still searchable")[0]["path"] == "yaml.md"
    code, _, err = run("doctor", vault=cli_vault / "missing")
    assert code == 1 and "no journal at" in err and "journal-me init" in err


def _jrnl_export(path: Path) -> Path:
    data = {
        "tags": {"#work": 1, "@family": 1},
        "entries": [
            {
                "title": "Started at Tidewater.",
                "body": "Priya gave me a tour. The office smells of coffee and rain.",
                "date": "2026-04-20",
                "time": "18:30",
                "tags": ["#work"],  # jrnl's @names are people now, #tags are tags
                "starred": True,
            },
            {
                "title": "Lily's dinosaur phase.",
                "body": "Lily explained the difference between a stegosaurus and an ankylosaurus.",
                "date": "2026-04-20",
                "time": "21:00",
                "tags": ["@family"],
                "starred": False,
            },
            {
                "title": "Short one.",
                "body": "",
                "date": "2026-04-21",
                "time": "07:00",
                "tags": [],
                "starred": False,
            },
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_import_jrnl_is_idempotent(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, tmp_path: Path
) -> None:
    export = _jrnl_export(tmp_path / "export.json")
    code, out, err = run("import", "jrnl", str(export))
    assert code == 0, err
    assert "imported 3 entries, skipped 0" in out
    first = (cli_vault / "journal/2026/2026-04-20.md").read_text(encoding="utf-8")
    assert "Priya gave me a tour" in first and "jrnl_id:" in first and "time: '18:30'" in first
    assert (cli_vault / "journal/2026/2026-04-20-2.md").exists()
    snapshot = {p: p.read_bytes() for p in cli_vault.rglob("*.md")}
    code, out, _ = run("import", "jrnl", str(export))
    assert code == 0
    assert "imported 0 entries, skipped 3" in out
    assert {p: p.read_bytes() for p in cli_vault.rglob("*.md")} == snapshot
    hits = search_json(run, "stegosaurus")
    assert [h["path"] for h in hits] == ["journal/2026/2026-04-20-2.md"]
    assert hits[0]["title"] == "Lily's dinosaur phase."
    assert search_json(run, "--tag", "work", "tour")[0]["path"] == "journal/2026/2026-04-20.md"


def test_import_jrnl_errors(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, _, err = run("import", "jrnl", str(tmp_path / "missing.json"))
    assert code == 1 and "no such file" in err
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    code, _, err = run("import", "jrnl", str(tmp_path / "bad.json"))
    assert code == 1 and "not a jrnl JSON export" in err
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    code, _, err = run("import", "jrnl", str(tmp_path / "list.json"))
    assert code == 1 and "no 'entries' list" in err


def _editor(tmp_path: Path, text: str | None) -> str:
    script = tmp_path / "editor.py"
    body = (
        "pass"
        if text is None
        else (
            "import pathlib, sys\n"
            "p = pathlib.Path(sys.argv[1])\n"
            f"p.write_text(p.read_text(encoding='utf-8') + {text!r}, encoding='utf-8')\n"
        )
    )
    script.write_text(body, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_new_opens_the_editor(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "Wrote this in my editor: a lighthouse.\n"))
    code, out, err = run("new", "--date", "2026-06-15")
    assert code == 0, err
    assert out.strip() == "saved journal/2026/2026-06-15.md"
    assert "lighthouse" in (cli_vault / "journal/2026/2026-06-15.md").read_text(encoding="utf-8")
    assert search_json(run, "lighthouse")[0]["date"] == "2026-06-15"
    # again on the same day: the same file, opened again
    code, out, _ = run("new", "--date", "2026-06-15")
    assert out.strip() == "saved journal/2026/2026-06-15.md"
    assert (cli_vault / "journal/2026/2026-06-15.md").read_text(encoding="utf-8").count("lighthouse") == 2
    # --separate: a second file for the day
    code, out, _ = run("new", "--date", "2026-06-15", "--separate")
    assert out.strip() == "saved journal/2026/2026-06-15-2.md"


def test_new_with_nothing_written_leaves_nothing(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, None))
    code, out, err = run("new", "--date", "2026-06-16")
    assert code == 0, err
    assert "nothing written" in out
    assert not (cli_vault / "journal/2026/2026-06-16.md").exists()
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    code, _, err = run("new", "--date", "2026-06-16")
    assert code == 1 and "editor not found" in err
    assert not (cli_vault / "journal/2026/2026-06-16.md").exists()
    code, _, err = run("new", "--date", "never ever")
    assert code == 1 and "cannot understand the date" in err


def test_config_errors_exit_2(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"  # the test's JOURNAL_ME_CONFIG
    config.write_text("vault = [unclosed\n", encoding="utf-8")
    code, _, err = run("index")
    assert code == 2
    assert "config error" in err and "not valid TOML" in err and str(config) in err
    config.write_text('colour = "blue"\n', encoding="utf-8")
    code, _, err = run("index")
    assert code == 2 and "unknown setting 'colour'" in err
    config.write_text("debounce_ms = -5\n", encoding="utf-8")
    code, _, err = run("index")
    assert code == 2 and "debounce_ms" in err
    other = tmp_path / "other.toml"
    other.write_text("[llm]\nn_ctx = 'big'\n", encoding="utf-8")
    code, _, err = run("--config", str(other), "index")
    assert code == 2 and "llm.n_ctx: expected an integer" in err


def test_vault_from_config_file_and_env(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text(f'vault = "{cli_vault}"\n', encoding="utf-8")
    assert search_json(lambda *a: run(*a, vault=None), "boiler")[0]["path"] == "journal/2026/2026-04-11.md"
    empty = tmp_path / "empty-vault"
    empty.mkdir()
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(empty))
    assert search_json(lambda *a: run(*a, vault=None), "boiler") == []


def test_watch_runs_in_the_foreground_until_ctrl_c(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path
) -> None:
    from journal_me.api import open_vault

    run("index")
    outcome: list[bool] = []

    captured: Any = sys.stdout  # capsys's buffer: "watching …" appears once the start-up reindex is done

    def edit_then_interrupt() -> None:
        reader = open_vault(settings=load_settings(vault=cli_vault))
        try:
            assert wait_for(lambda: "watching" in captured.getvalue(), 10)
            for i in range(10):  # a write racing the observer's start is lost: write again
                word = f"cormorant{i}"
                (cli_vault / "2026-07-04.md").write_text(f"Watched: a {word} drying.\n", encoding="utf-8")
                if wait_for(lambda w=word: reader.search(w), 1.0):  # type: ignore[misc]
                    outcome.append(True)
                    break
        finally:
            reader.close()
            _thread.interrupt_main()  # Ctrl-C

    thread = threading.Thread(target=edit_then_interrupt)
    thread.start()
    code, out, _ = run("watch")
    thread.join()
    assert code == 0
    assert outcome == [True]
    assert "watching" in out and "stopped" in out
    assert "1 added" in out or "1 updated" in out  # reported by the watcher


def test_editor_runs_with_the_users_umask_not_the_data_dirs(
    run: Callable[..., tuple[int, str, str]], cli_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor that saves by writing a new file and renaming it (vim, many GUI editors) must
    create it with the user's usual mode: the data dir's owner-only umask is journal-me's own."""
    from journal_me.datadir import user_umask

    script = tmp_path / "rename_editor.py"
    script.write_text(
        "import os, pathlib, sys\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "tmp = p.with_name(p.name + '.new')\n"
        "tmp.write_text(p.read_text(encoding='utf-8') + 'Saved by renaming.\\n', encoding='utf-8')\n"
        "os.replace(tmp, p)\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    code, _, err = run("new", "--date", "2026-06-17")
    assert code == 0, err
    path = cli_vault / "journal/2026/2026-06-17.md"
    assert "Saved by renaming" in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o666 & ~user_umask()
