"""Fixtures for the core tests: real Whoosh, real networkx, real watchdog, temp vaults.

Every test gets its own data dir and config file (``tests/conftest.py`` and ``_core_env``
below), and no test may open a network connection.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE_VAULT = REPO / "vault"
QUESTION_FILES = sorted((REPO / "tests" / "data").glob("questions_*.json"))


@pytest.fixture(autouse=True)
def _core_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Own data dir and config file; no editor or vault leaking in from the environment."""
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("JOURNAL_ME_VAULT", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to reach the network (unix sockets stay allowed)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"test tried to open a network connection to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """An empty vault folder."""
    path = tmp_path / "vault"
    path.mkdir()
    return path


@pytest.fixture
def write() -> Callable[..., Path]:
    """write(vault, rel, text, mtime=None) -> path; folders are created."""

    def _write(root: Path, rel: str, text: str | bytes, mtime: float | None = None) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    return _write


@pytest.fixture
def open_journal() -> Iterator[Callable[..., Journal]]:
    """open_journal(vault) -> Journal using the test's env (closed at teardown)."""
    opened: list[Journal] = []

    def _open(root: Path, **overrides: Any) -> Journal:
        settings = load_settings(vault=root, **overrides)
        journal = open_vault(settings=settings)
        opened.append(journal)
        return journal

    yield _open
    for journal in opened:
        journal.close()


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a private copy of the sample vault, with its own data dir."""
    root = tmp_path_factory.mktemp("sample")
    vault_copy = root / "vault"
    shutil.copytree(SAMPLE_VAULT, vault_copy, symlinks=True)
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    return load_settings(vault=vault_copy, env=env)


@pytest.fixture(scope="session")
def sample_journal(sample_settings: Settings) -> Iterator[Journal]:
    """The sample vault, indexed once per session. Tests must not modify it."""
    journal = open_vault(settings=sample_settings)
    journal.reindex()
    yield journal
    journal.close()


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Any]:
    return wait_for
