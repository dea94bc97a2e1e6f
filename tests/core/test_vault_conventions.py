"""Obsidian and jrnl conventions the vault reader follows (issue 9): titles, undated notes,
conflict copies, text that lives only in front matter, JSON Canvas files."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.vault import Vault, VaultError, parse_entry

MTIME = dt.datetime(2024, 7, 9, 12, 0).timestamp()


def _parse(text: str, rel: str = "note.md") -> object:
    return parse_entry(rel, text.encode(), path=Path("/v") / rel, mtime=MTIME)


@pytest.mark.parametrize(
    ("rel", "text", "title"),
    [
        ("Reading list.md", "# Books to read\n\nDune\n", "Reading list"),
        ("people/Sam Okafor.md", "# Sam\n\nfriend\n", "Sam Okafor"),
        ("x.md", "---\ntitle: From front matter\n---\n# Heading\n", "From front matter"),
        ("2026-01-02.md", "# Morning pages\n\nslept well\n", "Friday 2 January 2026"),
        ("2026-01-02-evening.md", "# Heading\n\ntext\n", "Friday 2 January 2026 (evening)"),
        ("x.md", '---\ntitle: "  two\n  lines "\n---\nbody\n', "two lines"),
    ],
)
def test_title_is_front_matter_title_else_the_file_name(rel: str, text: str, title: str) -> None:
    entry = parse_entry(rel, text.encode(), path=Path("/v") / rel, mtime=MTIME)
    assert entry.title == title


@pytest.mark.parametrize(
    ("rel", "text", "undated", "day"),
    [
        ("Reading list.md", "Dune\n", True, dt.date(2024, 7, 9)),
        ("ideas.md", "---\ndate: not-a-date\n---\nx\n", True, dt.date(2024, 7, 9)),
        ("ideas.md", "---\ndate: 2025-05-05\n---\nx\n", False, dt.date(2025, 5, 5)),
        ("journal/2026-01-02.md", "x\n", False, dt.date(2026, 1, 2)),
        ("Meeting 2026-01-03 notes.md", "x\n", False, dt.date(2026, 1, 3)),
    ],
)
def test_undated_notes_are_flagged(rel: str, text: str, undated: bool, day: dt.date) -> None:
    entry = parse_entry(rel, text.encode(), path=Path("/v") / rel, mtime=MTIME)
    assert entry.undated is undated
    assert entry.date == day  # the mtime's day, for sorting only, when undated


@pytest.mark.parametrize(
    ("rel", "original"),
    [
        ("2026-01-02.conflict-20260103-101112.md", "2026-01-02.md"),
        ("journal/2026/2026-01-02.conflict-20260103-101112-2.md", "journal/2026/2026-01-02.md"),
        ("Reading list.conflict-20260103-101112.md", "Reading list.md"),
        ("2026-01-02.md", None),
        ("x.conflict-2026.md", None),
    ],
)
def test_conflict_copies_name_their_original(rel: str, original: str | None) -> None:
    entry = parse_entry(rel, b"text\n", path=Path("/v") / rel, mtime=MTIME)
    assert entry.conflict_of == original
    if original:
        assert entry.title.endswith("(conflict copy)")


def test_conflict_copy_made_by_save_is_flagged(vault: Path) -> None:
    (vault / "2026-01-02.md").write_text("theirs\n", encoding="utf-8")
    v = Vault(vault)
    result = v.save("2026-01-02.md", "mine\n", "0" * 64)
    assert result.conflict_rel is not None
    assert v.read(result.conflict_rel).conflict_of == "2026-01-02.md"


def test_front_matter_only_text_becomes_a_passage() -> None:
    text = '---\ntitle: "Locker code is 4471, the blue one"\ndate: 2020-05-01\nstarred: true\n---\n'
    entry = _parse(text, "2020-05-01.md")
    assert entry.body.strip() == ""
    assert [p.text for p in entry.passages] == ["Locker code is 4471, the blue one"]
    assert (entry.passages[0].line_start, entry.passages[0].line_end) == (2, 4)

    # words the body already holds are not indexed twice
    dup = _parse("---\ntitle: Walk\n---\nA walk by the canal.\n")
    assert [p.text for p in dup.passages] == ["A walk by the canal."]
    # a title beside a body is searched with every body passage already
    titled = _parse("---\ntitle: Physio\n---\nFiona gave me exercises.\n")
    assert [p.text for p in titled.passages] == ["Fiona gave me exercises."]
    # front matter beside a body stays out of the passages (a `mood: wry` line is no passage)
    more = _parse("---\ntitle: Walk\nmood: wry\ntags: [nature]\n---\nA walk.\n")
    assert [p.text for p in more.passages] == ["A walk."]
    only = _parse("---\ntitle: Walk\nsummary: herons everywhere\ntags: [nature]\ndate: 2026-01-01\n---\n")
    assert [p.text for p in only.passages] == ["Walk\nherons everywhere"]


def test_title_only_entry_is_found_by_search(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    # a jrnl one-liner: all its text in the title
    write(
        vault, "2020-05-01.md", '---\ntitle: "Gym locker code: 4471, the blue one"\ndate: 2020-05-01\n---\n'
    )
    write(vault, "notes/front matter only.md", "---\ndescription: the quince tree by the shed\n---\n")
    write(vault, "2020-05-02.md", "A long walk by the canal.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert [h.entry.rel for h in journal.search("locker code")] == ["2020-05-01.md"]
    assert [h.entry.rel for h in journal.search("quince")] == ["notes/front matter only.md"]


CANVAS = {
    "nodes": [
        {
            "id": "a",
            "type": "text",
            "text": "Plan the **allotment** beds",
            "x": 0,
            "y": 0,
            "width": 200,
            "height": 80,
        },
        {"id": "b", "type": "file", "file": "notes/Seeds.md", "x": 300, "y": 0, "width": 200, "height": 80},
        {
            "id": "c",
            "type": "text",
            "text": "Buy rhubarb crowns #garden",
            "x": 0,
            "y": 200,
            "width": 200,
            "height": 80,
        },
    ],
    "edges": [{"id": "e", "fromNode": "a", "toNode": "c", "label": "then"}],
}


def test_canvas_files_are_entries(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "Garden plan.canvas", json.dumps(CANVAS))
    write(vault, "broken.canvas", "{not json")
    write(vault, "notes/Seeds.md", "Seed list.\n")
    v = Vault(vault)
    assert v.wants("Garden plan.canvas") and not v.wants(".obsidian/x.canvas")
    rels = [rel for rel, _p in v.scan()]
    assert "Garden plan.canvas" in rels
    entry = v.read("Garden plan.canvas")
    assert entry.title == "Garden plan" and entry.undated
    assert "allotment" in entry.body and "rhubarb" in entry.body
    assert "garden" in entry.tags
    assert ("notes/Seeds", None) in entry.links
    with pytest.raises(VaultError, match="canvas"):  # its text is no file: never saved back over the JSON
        v.save("Garden plan.canvas", entry.body, entry.digest)
    assert json.loads((vault / "Garden plan.canvas").read_text(encoding="utf-8")) == CANVAS

    journal = open_journal(vault)
    journal.reindex()
    assert [h.entry.rel for h in journal.search("rhubarb")] == ["Garden plan.canvas"]
    reasons = {w.rel: w.reason for w in journal.warnings}
    assert "not a JSON Canvas" in reasons["broken.canvas"]


def test_mtime_only_dates_do_not_depend_on_the_clock(vault: Path) -> None:
    path = vault / "Reading list.md"
    path.write_text("Dune\n", encoding="utf-8")
    os.utime(path, (MTIME, MTIME))
    entry = Vault(vault).read("Reading list.md")
    assert entry.undated and entry.date == dt.date(2024, 7, 9)
