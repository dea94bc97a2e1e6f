"""``add`` when the index cannot follow or the file keeps changing, ``search --no-refresh`` on an
incomplete index, and ``doctor`` naming regressions, privacy changes and conflict copies
(issues 9 and 15). Real vault files, real index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import journal_me.commands.journal as journal_cmds
from journal_me.api import Journal
from journal_me.memory.index import IndexLockedError

Run = Callable[..., tuple[int, str, str]]
DAY = "journal/2026/2026-03-03.md"


@pytest.fixture
def run(
    vault: Path,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Run,
) -> Run:
    write(vault, DAY, "---\ntitle: Harbour\n---\nA calm day by the lighthouse.\n")
    write(
        vault, "journal/2026/2026-03-04.md", "---\nprivate: true\n---\nThe clinic called about the results.\n"
    )
    monkeypatch.setattr(journal_cmds, "DOCTOR_CHECKS", [])
    monkeypatch.setattr(journal_cmds, "doctor_checks", lambda: [])  # the core's checks only

    return run_cli


# -- 8. add ----------------------------------------------------------------------------------
def test_add_with_a_locked_index_is_a_warning_not_a_failure(
    run: Run, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("index")[0] == 0

    def locked(self: Journal, rels: Any) -> None:
        raise IndexLockedError("the index is locked by another journal-me process")

    monkeypatch.setattr(Journal, "update_paths", locked)
    code, out, err = run("add", "--date", "2026-03-03", "Saw the ferry come in.")
    assert code == 0, err  # a retry would add the text twice
    assert "added to journal/2026/2026-03-03.md" in out
    assert "locked" not in err  # add leaves indexing to the next refresh: no lock can touch it
    assert (vault / DAY).read_text(encoding="utf-8").count("Saw the ferry come in.") == 1
    monkeypatch.undo()
    code, out, _ = run("search", "--json", "ferry")
    assert code == 0 and DAY in out  # the next index caught up


def test_add_under_a_file_that_keeps_changing_is_one_clear_line(
    run: Run, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read_text = Journal.read_text

    def stale(self: Journal, rel: str) -> tuple[str, str]:
        text, _digest = real_read_text(self, rel)
        return text, "0" * 64  # as if the file changed right after every read

    monkeypatch.setattr(Journal, "read_text", stale)
    before = (vault / DAY).read_bytes()
    code, _, err = run("add", "--date", "2026-03-03", "Lost words?")
    assert code == 1
    assert "kept changing" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert (vault / DAY).read_bytes() == before
    assert sorted(p.name for p in (vault / "journal/2026").iterdir()) == ["2026-03-03.md", "2026-03-04.md"]


# -- 9. search --no-refresh on an incomplete index ------------------------------------------
def test_search_no_refresh_says_the_index_is_incomplete(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("index")[0] == 0
    code, _, err = run("search", "--no-refresh", "lighthouse")
    assert code == 0 and "incomplete" not in err
    monkeypatch.setattr(Journal, "index_incomplete", property(lambda self: True))
    code, _, err = run("search", "--no-refresh", "lighthouse")
    assert code == 0
    assert "the index is incomplete (a rebuild was interrupted); run `journal-me index`" in err


# -- 10. doctor ------------------------------------------------------------------------------
def test_doctor_lists_regressions_privacy_changes_and_conflicts(run: Run, vault: Path) -> None:
    code, out, _ = run("doctor")
    assert code == 0, out
    assert "stopped parsing" not in out and "privacy changed" not in out and "conflict" not in out
    # front matter that parsed at the last index and no longer does
    (vault / DAY).write_text("---\ntitle: Harbour: the second\n---\nA calm day.\n", encoding="utf-8")
    # a private entry that now reads as public
    (vault / "journal/2026/2026-03-04.md").write_text(
        "---\nprivate: false\n---\nThe clinic called about the results.\n", encoding="utf-8"
    )
    # a conflict copy kept by a save that met a changed file
    (vault / "journal/2026/2026-03-03.conflict-20260303-101500.md").write_text(
        "A calm day, my version.\n", encoding="utf-8"
    )
    code, out, _ = run("doctor")
    assert code == 1
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if "front matter stopped parsing since the last index" in line)
    assert lines[i + 1].strip().startswith(f"{DAY}:")
    i = next(n for n, line in enumerate(lines) if "privacy changed" in line)
    assert "still treated as private" in lines[i]
    assert "journal/2026/2026-03-04.md: was private, now reads as public" in lines[i + 1]
    i = next(n for n, line in enumerate(lines) if "conflict copy" in line)
    copy = "journal/2026/2026-03-03.conflict-20260303-101500.md"
    assert f"{copy}: a conflicting copy of {DAY}" in lines[i + 1]


# -- conflicts (issue 9.5) -------------------------------------------------------------------
COPY = "journal/2026/2026-03-03.conflict-20260303-101500.md"


def test_conflicts_list_and_resolve(run: Run, vault: Path) -> None:
    code, out, _ = run("conflicts")
    assert code == 0 and "no conflict copies" in out
    (vault / COPY).write_text("---\ntitle: Harbour\n---\nMy version of the calm day.\n", encoding="utf-8")
    code, out, _ = run("conflicts", "list")
    assert code == 0 and f"{COPY}  (copy of {DAY}, kept 2026-03-03 10:15)" in out
    code, out, err = run("conflicts", "resolve", COPY, "--keep", "mine")
    assert code == 0, err
    assert (vault / DAY).read_text(encoding="utf-8").endswith("My version of the calm day.\n")
    assert not (vault / COPY).exists()
    assert "no conflict copies" in run("conflicts")[1]
    (vault / COPY).write_text("Their version.\n", encoding="utf-8")
    code, out, err = run("conflicts", "resolve", COPY, "--keep", "theirs")
    assert code == 0, err
    assert "My version" in (vault / DAY).read_text(encoding="utf-8") and not (vault / COPY).exists()
    code, _, err = run("conflicts", "resolve", DAY, "--keep", "theirs")
    assert code == 1 and "not a conflict copy" in err


def test_conflicts_resolve_that_would_make_an_entry_public_asks(run: Run, vault: Path) -> None:
    assert run("index")[0] == 0
    private = "journal/2026/2026-03-04.md"
    copy = "journal/2026/2026-03-04.conflict-20260304-090000.md"
    (vault / copy).write_text("The clinic called. All fine.\n", encoding="utf-8")  # no private flag
    code, _, err = run("conflicts", "resolve", copy, "--keep", "mine")
    assert code == 1 and "--confirm" in err
    assert "private: true" in (vault / private).read_text(encoding="utf-8") and (vault / copy).exists()
    code, _, err = run("conflicts", "resolve", copy, "--keep", "mine", "--confirm")
    assert code == 0, err
    assert (vault / private).read_text(encoding="utf-8") == "The clinic called. All fine.\n"


def test_doctor_names_unreadable_privacy_and_outside_symlinks(run: Run, vault: Path, tmp_path: Path) -> None:
    (vault / "locker.md").write_text(
        "---\ntitle: Locker: the second code\nprivate: true\n---\nThe code is 4512.\n", encoding="utf-8"
    )
    secret = tmp_path / "outside.md"
    secret.write_text("root:x:0:0\n", encoding="utf-8")
    (vault / "passwd.md").symlink_to(secret)
    code, out, _ = run("doctor")
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    assert any(
        line.startswith("locker.md:") and "privacy flag unreadable — treated as private" in line
        for line in lines
    ), out
    assert any(line.startswith("passwd.md:") and "outside the vault" in line for line in lines), out
    assert "entries:    3 indexed, 2 private" in out  # the locker counts as private; passwd.md is not read
