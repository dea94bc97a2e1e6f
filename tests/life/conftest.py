"""Fixtures for the life tests. The temp vaults, ``write`` and the sample vault indexed once
are ``tests/conftest.py``'s; here every journal is indexed when opened (life reads derived data)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal


@pytest.fixture(autouse=True)
def _life_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "config.toml"))
    for name in ("JOURNAL_ME_VAULT", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def open_journal(open_journal: Callable[..., Journal]) -> Callable[..., Journal]:
    return functools.partial(open_journal, reindex=True)
