"""Study cards: cloze deletions from study-tagged entries (never private ones), FSRS review with
a fake clock, state in a 0600 SQLite file that keeps the history of unchanged cards when an
entry is edited, and the `journal-me study` review loop."""

from __future__ import annotations

import datetime as dt
import io
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from fsrs import Scheduler

from journal_me.api import Journal
from journal_me.cli import main
from journal_me.life.study import (
    MASK,
    StudyDeck,
    build_cards,
    cloze_for,
    parse_model_cards,
    study_entries,
    study_tags,
)
from journal_me.roles import load_roles

NOTE = """---
date: 2026-05-10
tags: [study/hydrology]
---
# Flood return periods

A **return period** is the average time between floods of a given size.
A 1-in-100-year flood has a 1% chance of happening in any year.
The Tweed at Hawick is gauged by SEPA at Hawick Bridge.
"""


class Clock:
    def __init__(self) -> None:
        self.t = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += dt.timedelta(**kw)


def test_cloze_prefers_marked_terms_then_numbers_then_names() -> None:
    assert cloze_for("A **return period** is the average time between floods.") == (
        f"A {MASK} is the average time between floods.",
        "return period",
    )
    assert cloze_for("A 1-in-100-year flood has a 1% chance of happening in any year.") == (
        f"A 1-in-100-year flood has a {MASK} chance of happening in any year.",
        "1%",
    )
    assert cloze_for("The Tweed at Hawick is gauged by SEPA at Hawick Bridge.") == (
        f"The Tweed at Hawick is gauged by SEPA at {MASK}.",
        "Hawick Bridge",
    )
    assert cloze_for("nothing here to ask about at all, really not.") is None
    assert parse_model_cards("Q: What is a return period?\nA: The average time between floods.\n") == [
        ("What is a return period?", "The average time between floods.")
    ]


def test_cards_from_study_entries_only(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "notes/return periods.md", NOTE)
    write(vault, "notes/secret.md", NOTE.replace("tags:", "private: true\ntags:"))
    write(vault, "journal/2026/2026-05-11.md", "# Not study\n\nA **bold** claim about 42 things today.\n")
    journal = open_journal(vault)
    role = load_roles(None)["study"]
    assert study_tags(role) == ("study", "learning")  # the role names none: the defaults
    assert study_entries(journal, study_tags(role)) == ["notes/return periods.md"]
    cards = build_cards(journal, role)
    assert [c.answer for c in cards] == ["return period", "1%", "Hawick Bridge"]
    assert all(c.rel == "notes/return periods.md" and c.kind == "cloze" for c in cards)


def test_fsrs_review_with_a_fake_clock_and_stable_ids(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal], tmp_path: Path
) -> None:
    path = write(vault, "notes/return periods.md", NOTE)
    journal = open_journal(vault)
    role = load_roles(None)["study"]
    clock = Clock()
    deck = StudyDeck(tmp_path / "d" / "study.sqlite3", now=clock, scheduler=Scheduler(enable_fuzzing=False))
    assert stat.S_IMODE((tmp_path / "d" / "study.sqlite3").stat().st_mode) == 0o600
    assert deck.sync(build_cards(journal, role)).added == 3
    due = deck.due()
    assert len(due) == 3 and deck.due(limit=1)[0].card.id == due[0].card.id
    first = due[0].card
    nxt = deck.review(first.id, 3)  # good, new card: the next learning step (10 min)
    assert nxt == clock.t + dt.timedelta(minutes=10)
    assert first.id not in {d.card.id for d in deck.due()}
    clock.advance(minutes=10)
    assert first.id in {d.card.id for d in deck.due()}
    nxt = deck.review(first.id, 4)  # easy: graduates to days
    assert nxt - clock.t >= dt.timedelta(days=1)
    with pytest.raises(ValueError):
        deck.review(first.id, 5)

    # edit the entry: one sentence changes, the others keep their ids and history
    path.write_text(NOTE.replace("SEPA at Hawick Bridge", "SEPA at Hawick Town Bridge"), encoding="utf-8")
    journal.reindex()
    report = deck.sync(build_cards(journal, role))
    assert (report.added, report.kept, report.retired) == (1, 2, 1)
    assert [r for r, _t in deck.history(first.id)] == [3, 4]
    assert {d.card.answer for d in deck.cards()} == {"return period", "1%", "Hawick Town Bridge"}
    deck.close()

    reopened = StudyDeck(tmp_path / "d" / "study.sqlite3", now=clock)
    assert len(reopened.history(first.id)) == 2
    reopened.close()


def test_study_cli_review_loop(
    vault: Path,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(vault, "notes/return periods.md", NOTE)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n3\n\nx\n1\nq\n"))
    assert main(["--vault", str(vault), "study", "--no-model"]) == 0
    out = capsys.readouterr().out
    assert "3 new cards from your study notes." in out
    assert f"Q: A {MASK} is the average time between floods of a given size." in out
    assert "A: return period" in out
    assert "Reviewed 2 cards." in out
    assert main(["--vault", str(vault), "study", "--list", "--no-model"]) == 0
    listed = capsys.readouterr().out
    assert listed.count("notes/") == 0 and listed.count(" return periods: ") == 3
    assert "learning" in listed


def test_sample_vault_study_notes_make_a_deck(sample_journal: Journal, tmp_path: Path) -> None:
    role = load_roles(None)["study"]
    rels = study_entries(sample_journal, study_tags(role))
    assert rels == [
        "notes/hydrology - return periods and gauges.md",
        "notes/pottery - glazes and firing.md",
        "notes/research methods - sample sizes.md",
        "notes/spanish - preterite vs imperfect.md",
    ]
    cards = build_cards(sample_journal, role)
    answers = {c.answer for c in cards}
    assert {"return period", "0.5%", "bisque", "cone 6", "saturation", "fui", "preterite"} <= answers
    assert 20 <= len(cards) <= 8 * len(rels)
    clock = Clock()
    with StudyDeck(tmp_path / "study.sqlite3", now=clock) as deck:
        assert deck.sync(cards).added == len({c.id for c in cards})
        assert len(deck.due(limit=5)) == 5
