"""Shared test set-up: every test runs with its own data dir and config file, so the
user's real config and derived data (index, graph, models) are never touched."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "_data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "_config.toml"))
    monkeypatch.delenv("JOURNAL_ME_VAULT", raising=False)
