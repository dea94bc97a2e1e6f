"""Fixtures for the core tests: real Whoosh, real networkx, real watchdog, temp vaults.

Every test gets its own data dir and config file (``tests/conftest.py`` and ``_core_env``
below), and no test may open a network connection. ``vault``, ``write``, ``open_journal`` and
the indexed ``sample_journal`` are in ``tests/conftest.py`` (the life tests use them too).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(vault: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """run_cli(*args, vault=<the test's vault>) -> (exit code, stdout, stderr) of
    ``journal-me --vault VAULT ARGS`` run in this process; ``vault=None`` leaves it out."""
    from journal_me.cli import main

    def _run(*args: str, vault: Path | None = vault) -> tuple[int, str, str]:
        code = main((["--vault", str(vault)] if vault is not None else []) + list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


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
