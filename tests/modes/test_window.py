"""An empty date window is said out loud, not silently answered from other months (issue 9.8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import load_settings
from journal_me.conversations import ConversationStore
from journal_me.modes.chat import ChatSession
from journal_me.modes.window import window_label

from .conftest import FakeEngine

TODAY = dt.date(2026, 12, 3)
QUESTION = "What did I do with Sam last month?"


@pytest.fixture
def sam_journal(tmp_path: Path) -> Iterator[Journal]:
    vault = tmp_path / "vault"
    (vault / "journal").mkdir(parents=True)
    (vault / "journal" / "2026-10-05.md").write_text(
        "---\ntitle: Climbing\n---\nBouldering with Sam at the wall, she flashed the purple route.\n"
    )
    (vault / "journal" / "2026-10-28.md").write_text(
        "---\ntitle: Curry night\n---\nCurry at Sam's flat, then a film. Sam fell asleep.\n"
    )
    (vault / "journal" / "2026-12-09.md").write_text("---\ntitle: Later\n---\nSam rang about the wedding.\n")
    settings = load_settings(
        vault=vault,
        env={"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "none.toml")},
    )
    journal = open_vault(settings=settings)
    journal.reindex()
    yield journal
    journal.close()


def test_memory_only_answer_says_the_month_is_empty(sam_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = ChatSession(sam_journal, None, store, today=lambda: TODAY)
    events = list(session.ask(QUESTION))
    done = events[-1]
    assert events[0].hits and all(h.entry.date.month != 11 for h in events[0].hits)  # other months…
    assert "No entries in November 2026; nearest: 2026-10-28 — Curry night" in done.answer  # …and says so
    assert done.answer.index("No entries in November") < done.answer.index("Memory-only mode")
    assert any(e.kind == "notice" and "November 2026" in e.text for e in events)


def test_model_is_told_and_the_answer_says_so(sam_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    engine = FakeEngine("<think>hmm</think>We went climbing.")
    session = ChatSession(sam_journal, engine, store, today=lambda: TODAY)  # type: ignore[arg-type]
    events = list(session.ask(QUESTION))
    user = engine.prompts[0][-1]["content"]
    assert "asks about November 2026" in user and "no entries at all from then" in user
    assert user.index("November 2026") < user.index("Journal memories:")
    done = events[-1]
    assert done.answer.startswith("No entries in November 2026; nearest: 2026-10-28 — Curry night")
    assert done.answer.endswith("We went climbing.")
    streamed = "".join(e.text for e in events if e.kind == "answer")
    assert streamed.replace("\n", "") == done.answer.replace("\n", "")
    assert store.messages(session.conversation.id)[-1].content == done.answer  # type: ignore[union-attr]


def test_no_notice_when_the_window_has_matching_entries(sam_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = ChatSession(sam_journal, None, store, today=lambda: dt.date(2026, 11, 15))
    events = list(session.ask(QUESTION))  # last month = October: two entries with Sam
    assert not any(e.kind == "notice" for e in events)
    assert "No entries" not in events[-1].answer
    assert {h.entry.date.month for h in events[0].hits} == {10}


def test_window_with_entries_but_no_match_says_so(sam_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = ChatSession(sam_journal, None, store, today=lambda: dt.date(2026, 11, 15))
    answer = list(session.ask("What did I do with the wedding last month?"))[-1].answer
    assert "Nothing in my 2 entries from October 2026 matches that" in answer


def test_same_month_last_year_is_named_as_such(sam_journal: Journal, tmp_path: Path) -> None:
    (sam_journal._vault.root / "journal" / "2025-11-14.md").write_text(
        "---\ntitle: Old times\n---\nPub quiz with Sam, we came last.\n"
    )
    sam_journal.reindex()
    store = ConversationStore(tmp_path / "c.sqlite3")
    events = list(
        ChatSession(sam_journal, None, store, today=lambda: TODAY).ask("What did I do with Sam in November?")
    )
    assert [h.entry.date for h in events[0].hits] == [dt.date(2025, 11, 14)]
    assert "No entries in November 2026; these memories are from November 2025." in events[-1].answer
    engine = FakeEngine("ok")
    list(
        ChatSession(sam_journal, engine, store, today=lambda: TODAY).ask(
            "What did I do with Sam in November?"
        )
    )  # type: ignore[arg-type]
    assert "the memories below are from November 2025" in engine.prompts[0][-1]["content"]


def test_window_labels() -> None:
    assert window_label(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == "November 2026"
    assert window_label(dt.date(2026, 11, 3), dt.date(2026, 11, 3)) == "3 November 2026"
    assert window_label(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == "2026"
    assert window_label(dt.date(2026, 6, 1), dt.date(2026, 8, 31)) == "1 June 2026 – 31 August 2026"
