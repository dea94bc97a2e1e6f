"""A graph store held by another process's long write is one clear line, not a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.cli import main


def test_graph_store_busy_is_one_line(
    vault: Path,
    write: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(vault, "2026-01-05.md", "Bouldering at the Depot with Dev.\n")

    def busy(self: Journal, *args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Journal, "reindex", busy)
    code = main(["--vault", str(vault), "search", "depot"])
    err = capsys.readouterr().err
    assert code == 1
    assert "the entity graph is busy" in err and "Traceback" not in err


def test_other_errors_still_raise(
    vault: Path, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(vault, "2026-01-05.md", "Bouldering at the Depot with Dev.\n")

    def broken(self: Journal, *args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("no such table: entry")

    monkeypatch.setattr(Journal, "reindex", broken)
    with pytest.raises(sqlite3.OperationalError):
        main(["--vault", str(vault), "search", "depot"])
