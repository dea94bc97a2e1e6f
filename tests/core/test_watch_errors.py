"""Errors in the watch loop are seen (issue 14): a failing status callback (the UI) is logged,
counted on the public ``WatchStatus`` that the TUI and ``doctor`` read, and the loop goes on
indexing — and goes on calling the callback, which may recover."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.watch import VaultWatcher, WatchStatus

from .conftest import wait_for


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    write(vault, "2026-01-01.md", "New year: a cold walk on Arthur's Seat.\n")
    j = open_journal(vault)
    j.reindex()
    return j


def _rels(journal: Journal, query: str) -> set[str]:
    return {h.entry.rel for h in journal.search(query, limit=20)}


def test_a_failing_callback_is_counted_logged_and_the_loop_keeps_running(
    journal: Journal, vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    broken = {"on": True}

    def status_bar(status: WatchStatus) -> None:
        calls.append(status.state)
        if broken["on"]:
            raise ValueError("the status bar is gone")

    with (
        caplog.at_level(logging.WARNING, logger="journal_me.watch"),
        VaultWatcher(journal, polling=False, debounce_ms=30, on_update=status_bar) as watcher,
    ):
        (vault / "a.md").write_text("a kingfisher on the canal\n", encoding="utf-8")
        assert wait_for(lambda: _rels(journal, "kingfisher") == {"a.md"}, timeout=5)
        assert wait_for(watcher.idle, timeout=5)
        failed = watcher.status.callback_errors
        assert failed >= 2  # "watching" on start, then "indexing" / "watching" for a.md
        assert watcher.status.last_callback_error == "ValueError: the status bar is gone"
        assert "status display failed" in watcher.status.describe()
        assert "the status bar is gone" in watcher.status.describe()

        # still watching: a second change is indexed, and the callback is still called
        (vault / "b.md").write_text("a heron on the towpath\n", encoding="utf-8")
        assert wait_for(lambda: _rels(journal, "heron") == {"b.md"}, timeout=5)
        assert wait_for(lambda: watcher.status.callback_errors > failed, timeout=5)

        # the callback recovers: it is called again, and no more failures are counted
        broken["on"] = False
        assert wait_for(watcher.idle, timeout=5)
        time.sleep(0.2)  # a call that began before the flip has finished failing
        settled, seen = watcher.status.callback_errors, len(calls)
        (vault / "c.md").write_text("an otter at dusk\n", encoding="utf-8")
        assert wait_for(lambda: _rels(journal, "otter") == {"c.md"}, timeout=5)
        assert wait_for(lambda: len(calls) > seen and calls[-1] == "watching", timeout=5)
        assert watcher.status.callback_errors == settled

    records = [r for r in caplog.records if r.name == "journal_me.watch"]
    tracebacks = [r for r in records if r.exc_info]
    # the traceback once; the repeats as one-line warnings that still say how many
    assert len(tracebacks) == 1 and "the status bar is gone" in str(tracebacks[0].exc_info[1])  # type: ignore[index]
    repeats = [r for r in records if not r.exc_info and "failed again" in r.getMessage()]
    assert len(repeats) == settled - 1


def test_a_fresh_status_reports_no_callback_errors() -> None:
    status = WatchStatus(state="watching")
    assert status.callback_errors == 0 and status.last_callback_error is None
    assert status.describe() == "watching"
