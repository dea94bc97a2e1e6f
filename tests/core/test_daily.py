"""Daily notes follow the vault's Obsidian settings or journal-me's settings (issue 9)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal_me.config import load_settings
from journal_me.daily import DailyNotes, daily_settings, parse, render
from journal_me.vault import Vault

DAY = dt.date(2026, 3, 2)  # a Monday

# what Obsidian writes when the Daily notes core plugin is configured
OBSIDIAN_JSON = {
    "folder": "Daily/",
    "format": "YYYY/MM-MMMM/YYYY-MM-DD dddd",
    "template": "Templates/Daily",
    "autorun": True,
}


def _obsidian(vault: Path, data: object) -> None:
    (vault / ".obsidian").mkdir(exist_ok=True)
    (vault / ".obsidian" / "daily-notes.json").write_text(json.dumps(data), encoding="utf-8")
    (vault / ".obsidian" / "app.json").write_text("{}", encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("YYYY-MM-DD", "2026-03-02"),
        ("DD.MM.YY", "02.03.26"),
        ("D MMM YYYY", "2 Mar 2026"),
        ("dddd, MMMM Do YYYY", "Monday, March 2nd 2026"),
        ("ddd D-M-YYYY", "Mon 2-3-2026"),
        ("[Journal] YYYY-MM-DD", "Journal 2026-03-02"),
        ("YYYY/MM/[Day] DD", "2026/03/Day 02"),
    ],
)
def test_moment_formats_render_and_parse(fmt: str, text: str) -> None:
    assert render(fmt, DAY) == text
    assert parse(fmt, text) == DAY


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_render_then_parse_is_the_same_day(day: dt.date) -> None:
    for fmt in ("YYYY-MM-DD", "D MMMM YYYY", "YYYY/MM/YYYY-MM-DD dddd", "Do MMM YYYY"):
        assert parse(fmt, render(fmt, day)) == day


def test_obsidian_daily_notes_json_is_honoured(vault: Path) -> None:
    _obsidian(vault, OBSIDIAN_JSON)
    daily = daily_settings(vault, load_settings(vault=vault))
    assert daily.source == "obsidian"
    assert daily.rel_for(DAY) == "Daily/2026/03-March/2026-03-02 Monday.md"
    assert daily.day_of("Daily/2026/03-March/2026-03-02 Monday.md") == DAY
    assert daily.day_of("Daily/2026/03-March/2026-03-02 Tuesday notes.md") is None
    # moved out of the folder: still that day's note by its file name
    assert daily.day_of("Archive/2026-03-02 Monday.md") == DAY
    assert daily.day_of("Daily/Ideas.md") is None


def test_obsidian_defaults_when_keys_are_empty(vault: Path) -> None:
    _obsidian(vault, {"folder": "", "format": ""})
    daily = daily_settings(vault, None)
    assert daily == DailyNotes(folder="", format="YYYY-MM-DD", source="obsidian")
    assert daily.rel_for(DAY) == "2026-03-02.md"


def test_settings_win_over_obsidian(vault: Path) -> None:
    _obsidian(vault, OBSIDIAN_JSON)
    settings = SimpleNamespace(daily_folder="Journal/Days", daily_format="DD-MM-YYYY")
    daily = daily_settings(vault, settings)
    assert daily.rel_for(DAY) == "Journal/Days/02-03-2026.md"
    assert daily.day_of("Journal/Days/02-03-2026.md") == DAY
    only_format = daily_settings(vault, SimpleNamespace(daily_folder=None, daily_format="YYYYMMDD"))
    assert only_format.rel_for(DAY) == "Daily/20260302.md"  # folder from Obsidian


def test_default_layout_matches_the_vault(vault: Path) -> None:
    daily = daily_settings(vault, None)
    assert daily.rel_for(DAY) == Vault(vault).entry_rel_for(DAY) == "2026-03-02.md"
    (vault / "journal").mkdir()
    daily = daily_settings(vault, None)
    assert daily.rel_for(DAY) == Vault(vault).entry_rel_for(DAY) == "journal/2026/2026-03-02.md"
    assert daily.day_of("journal/2026/2026-03-02.md") == DAY
    assert daily.day_of("journal/2025/2026-03-02.md") == DAY  # misfiled: the name says the day
    assert daily.day_of("journal/2026/2026-02-30.md") is None


def test_unreadable_daily_notes_json_is_a_clear_error(vault: Path) -> None:
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "daily-notes.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(ValueError, match=r"daily-notes\.json"):
        daily_settings(vault, None)
