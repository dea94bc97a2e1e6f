"""`journal-me log`: values land in the day's front matter and nothing else changes."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.cli import main
from journal_me.commands.life import log_values, parse_pairs
from journal_me.life.metrics_write import FrontMatterEditError, set_front_matter_values

ORIGINAL = (
    "---\n"
    "# written by hand\n"
    "title: 'Couch to 5K, week 1'   # the app's name for it\n"
    'tags: [running, "health"]\n'
    "mood: purple-faced but smug\n"
    "sleep: 6.5 # hours, roughly\n"
    "people:\n"
    "  - Dev\n"
    "private: false\n"
    "---\n"
    "Did it. mood: 3 in the body is text, not front matter.\n"
    "\n"
    "sleep:: 8\n"
)


def _changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_byte_diff_touches_only_the_changed_keys() -> None:
    new = set_front_matter_values(ORIGINAL, {"sleep": 7.5, "energy": 6})
    assert _changed_lines(ORIGINAL, new) == [
        "-sleep: 6.5 # hours, roughly",
        "+sleep: 7.5 # hours, roughly",
        "+energy: 6",
    ]
    # everything else byte for byte: comments, quoting, order, the body
    assert new.replace("sleep: 7.5 #", "sleep: 6.5 #").replace("energy: 6\n", "") == ORIGINAL


def test_text_values_are_quoted_only_when_yaml_needs_it() -> None:
    new = set_front_matter_values(ORIGINAL, {"mood": "calm: mostly", "weather": "rain"})
    assert 'mood: "calm: mostly"' in new and "weather: rain\n" in new
    assert "yes" not in set_front_matter_values("x\n", {"ok": "yes"}).split("ok: ")[1][:3]


def test_no_front_matter_gains_one_and_crlf_is_kept() -> None:
    assert set_front_matter_values("Body.\n", {"mood": 7}) == "---\nmood: 7\n---\nBody.\n"
    crlf = "---\r\ntitle: x\r\n---\r\nBody\r\n"
    assert set_front_matter_values(crlf, {"mood": 7}) == "---\r\ntitle: x\r\nmood: 7\r\n---\r\nBody\r\n"


def test_broken_front_matter_is_refused_not_rewritten() -> None:
    with pytest.raises(FrontMatterEditError):
        set_front_matter_values("---\ntitle: [unclosed\n---\nbody\n", {"mood": 7})
    with pytest.raises(FrontMatterEditError):
        set_front_matter_values("---\ntitle: x\nbody with no closing fence\n", {"mood": 7})


def test_multiline_value_goes_through_round_trip_dump() -> None:
    text = "---\ntitle: x\nsleep: >\n  about seven\n# keep me\n---\nbody\n"
    new = set_front_matter_values(text, {"sleep": 7})
    assert "sleep: 7" in new and "# keep me" in new and new.endswith("---\nbody\n")


def test_parse_pairs() -> None:
    assert parse_pairs(["mood", "7", "sleep=7.5", "weight", "61.2kg"]) == {
        "mood": 7,
        "sleep": 7.5,
        "weight": "61.2kg",
    }
    with pytest.raises(ValueError):
        parse_pairs(["mood"])
    with pytest.raises(ValueError):
        parse_pairs(["7", "mood"])


def test_log_into_existing_entry_only_changes_those_keys(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    path = write(vault, "journal/2025/2025-09-08.md", ORIGINAL)
    journal = open_journal(vault)
    rel, conflict = log_values(journal, dt.date(2025, 9, 8), {"mood": 7, "sleep": 7})
    assert (rel, conflict) == ("journal/2025/2025-09-08.md", None)
    assert _changed_lines(ORIGINAL, path.read_text(encoding="utf-8")) == [
        "-mood: purple-faced but smug",
        "-sleep: 6.5 # hours, roughly",
        "+mood: 7",
        "+sleep: 7 # hours, roughly",
    ]


def test_log_creates_the_days_entry(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    rel, conflict = log_values(journal, dt.date(2026, 12, 2), {"sleep": "6h"})
    assert conflict is None
    text = (vault / rel).read_text(encoding="utf-8")
    assert text.startswith("---\n") and "sleep: 6h\n" in text and "date: 2026-12-02" in text
    assert [e.rel for e in journal.entries()] == [rel]  # indexed


def test_log_keeps_both_versions_on_a_conflict(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(vault, "journal/2025/2025-09-08.md", ORIGINAL)
    journal = open_journal(vault)
    real_read = journal.read_text

    def stale(rel: str) -> tuple[str, str]:
        text, digest = real_read(rel)
        path.write_text(ORIGINAL + "edited elsewhere meanwhile\n", encoding="utf-8")  # someone saves
        return text, digest

    monkeypatch.setattr(journal, "read_text", stale)
    _rel, conflict = log_values(journal, dt.date(2025, 9, 8), {"mood": 7})
    assert conflict is not None
    assert path.read_text(encoding="utf-8").endswith("edited elsewhere meanwhile\n")  # theirs kept
    assert "mood: 7" in (vault / conflict).read_text(encoding="utf-8")  # ours kept beside it


def test_cli_log_and_metrics(
    vault: Path, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(vault, "journal/2025/2025-09-08.md", ORIGINAL)
    assert main(["--vault", str(vault), "log", "mood", "7", "sleep", "7.5", "--date", "2025-09-08"]) == 0
    assert main(["--vault", str(vault), "log", "sleep", "8", "--date", "2025-09-09"]) == 0
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["--vault", str(vault), "metrics", "--json"]) == 0
    import json

    listed = {m["name"]: m for m in json.loads(out.getvalue())}
    assert listed["sleep"]["n"] == 3  # front matter twice, the body's `sleep:: 8` once
    assert listed["mood"]["first"] == "2025-09-08"
    out.seek(0)
    out.truncate()
    assert main(["--vault", str(vault), "metrics", "sleep", "--json"]) == 0
    series = json.loads(out.getvalue())
    assert [p["value"] for p in series["points"]] == [7.75, 8.0]  # the day's mean, then the next day
    assert series["min"] == 7.75 and series["max"] == 8.0
