"""Shared test set-up: every test runs with its own data dir and config file, so the
user's real config and derived data (index, graph, models) are never touched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from journal_me.offline import _PATCHES, FORCED


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "_data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "_config.toml"))
    monkeypatch.delenv("JOURNAL_ME_VAULT", raising=False)


@pytest.fixture(autouse=True)
def _offline_switches_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-process ``cli.main`` calls ``enforce_offline``, which sets environment variables
    and patches already-imported ML libraries; undo both after each test so one test's command
    cannot change what a later test sees (a hub test once failed only after such a run)."""
    for key in FORCED:
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:
            monkeypatch.delenv(key, raising=False)
    for module_name, values in _PATCHES.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attr in values:
            if hasattr(module, attr):
                monkeypatch.setattr(module, attr, getattr(module, attr))
