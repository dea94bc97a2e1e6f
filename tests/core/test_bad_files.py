"""Bad files: each gives a clear per-file warning; every other entry is still indexed."""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal
from journal_me.vault import MAX_FILE_BYTES, Vault

GOOD = {
    "2026-01-01.md": "New year walk along the canal with Sam.\n",
    "2026-01-02.md": "---\ntitle: Boiler\n---\nMr Okonkwo finally fixed the boiler.\n",
    "sub/2026-01-03.md": "Pottery class: my first wonky bowl. #pottery\n",
}


def _make_unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000, or (as root, where chmod does not stop reads) a monkeypatched open."""
    if os.geteuid() != 0:
        path.chmod(0)
        return
    real_open = pathlib.Path.open

    def guarded_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == path.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", guarded_open)


def _vanish_on_open(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is deleted between the directory scan / stat and the open."""
    real_open = pathlib.Path.open

    def vanishing_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == name:
            self.unlink(missing_ok=True)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", vanishing_open)


@pytest.fixture
def bad_vault(vault: Path, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    for rel, text in GOOD.items():
        write(vault, rel, text)
    write(
        vault,
        "bad-yaml.md",
        "---\ntitle: [unclosed\ndate: 2026-01-04\n---\nThe heron stood still by the lock.\n",
    )
    write(vault, "bad-date.md", "---\ndate: 2026-02-30\n---\nA kingfisher flashed past.\n")
    write(vault, "latin1.md", "Caf\u00e9 au lait in the rain\n".encode("latin-1"))
    write(vault, "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    write(vault, "empty.md", b"")
    write(vault, "blank.md", "\n  \n")
    with (vault / "huge.md").open("wb") as fh:
        fh.write(b"word " * (MAX_FILE_BYTES // 5 + 10))
    (vault / "loop").symlink_to(vault, target_is_directory=True)  # a folder link to an ancestor
    (vault / "sub" / "up").symlink_to("..", target_is_directory=True)
    (vault / "cycle-a.md").symlink_to("cycle-b.md")  # a file symlink cycle
    (vault / "cycle-b.md").symlink_to("cycle-a.md")
    (vault / "dangling.md").symlink_to("nowhere.md")
    write(vault, "locked.md", "secret words\n")
    _make_unreadable(vault / "locked.md", monkeypatch)
    write(vault, "vanishing.md", "here one moment\n")
    _vanish_on_open("vanishing.md", monkeypatch)
    return vault


EXPECTED_REASONS = {
    "bad-yaml.md": "invalid YAML front matter",
    # an impossible date no longer spoils the whole front matter: it is named
    "bad-date.md": "date: 2026-02-30 is not a date",
    "latin1.md": "not UTF-8",
    "binary.md": "binary",
    "empty.md": "empty",
    "blank.md": "empty",
    "huge.md": "too large",
    "loop": "symlink loop",
    "sub/up": "symlink loop",
    "cycle-a.md": "symlink loop",
    "cycle-b.md": "symlink loop",
    "dangling.md": "broken symlink",
    "locked.md": "permission denied",
    "vanishing.md": "vanished",
}


def test_every_bad_file_is_warned_and_the_rest_is_indexed(
    bad_vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal = open_journal(bad_vault)
    report = journal.reindex()
    reasons = {w.rel: w.reason for w in report.warnings}
    assert set(reasons) == set(EXPECTED_REASONS), reasons
    for rel, needle in EXPECTED_REASONS.items():
        assert needle in reasons[rel], (rel, reasons[rel])
    assert journal.warnings == report.warnings
    indexed = {e.rel for e in journal.entries()}
    assert indexed == set(GOOD) | {"bad-yaml.md", "bad-date.md"}
    # the text of a file with broken front matter is still searchable
    heron = journal.search("heron")
    assert [h.entry.rel for h in heron] == ["bad-yaml.md"]
    assert heron[0].line_start == 5
    assert journal.search("kingfisher")[0].entry.rel == "bad-date.md"
    assert journal.search("boiler")[0].entry.title == "Boiler"
    assert journal.search("secret") == []


def test_warnings_survive_an_unchanged_reindex_and_clear_when_fixed(
    bad_vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal = open_journal(bad_vault)
    first = {w.rel for w in journal.reindex().warnings}
    again = journal.reindex()
    assert again.changed == 0
    assert {w.rel for w in again.warnings} == first - {"vanishing.md"}  # it is gone now
    (bad_vault / "bad-yaml.md").write_text("---\ntitle: Fixed\n---\nThe heron again.\n", encoding="utf-8")
    (bad_vault / "empty.md").write_text("Not empty any more: otters!\n", encoding="utf-8")
    (bad_vault / "huge.md").unlink()
    fixed = journal.reindex()
    rels = {w.rel for w in fixed.warnings}
    assert not rels & {"bad-yaml.md", "empty.md", "huge.md"}
    assert journal.search("otters")[0].entry.rel == "empty.md"
    assert journal.search("heron")[0].entry.title == "Fixed"
    # a journal opened later (e.g. by `doctor`) still knows the warnings
    assert {w.rel for w in open_journal(bad_vault).warnings} == rels


def test_a_file_that_turns_bad_leaves_the_index(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "a.md", "The otters were out at dusk.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert journal.search("otters")
    write(vault, "a.md", "The otters \udcff".encode("utf-8", "surrogateescape"))
    report = journal.reindex()
    assert report.removed == 1
    assert [w.rel for w in report.warnings] == ["a.md"]
    assert journal.search("otters") == []
    # the watch loop path gives the same warning
    write(vault, "b.md", b"\x00\x01\x02")
    report = journal.update_paths(["b.md"])
    assert {w.rel for w in report.warnings} == {"a.md", "b.md"}


def test_scan_lists_markdown_and_ignores_hidden_and_configured(
    vault: Path, write: Callable[..., Path]
) -> None:
    for rel in [
        "a.md",
        "B.MD",
        "notes/c.md",
        ".obsidian/workspace.md",
        ".git/x.md",
        ".trash/old.md",
        ".hidden.md",
        "notes/.note.md.swp",
        "notes/d.md~",
        "templates/t.md",
        "image.png",
        "readme.txt",
    ]:
        write(vault, rel, "text\n")
    v = Vault(vault, ignore=("templates/**",))
    assert sorted(rel for rel, _ in v.scan()) == ["B.MD", "a.md", "notes/c.md"]


def test_doctor_lists_every_bad_file(
    bad_vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import journal_me.commands.journal as journal_cmds
    from journal_me.cli import main

    monkeypatch.setattr(journal_cmds, "DOCTOR_CHECKS", [])  # the core's checks only
    code = main(["--vault", str(bad_vault), "doctor"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{len(EXPECTED_REASONS)} file(s) need attention" in out
    listed = {
        line.strip().split(": ", 1)[0]: line.strip().split(": ", 1)[1]
        for line in out.splitlines()
        if line.startswith("  ")
    }
    assert set(listed) == set(EXPECTED_REASONS)
    for rel, needle in EXPECTED_REASONS.items():
        assert needle in listed[rel]
    assert f"entries:    {len(GOOD) + 2} indexed" in out
