"""Shared test set-up: every test runs with its own data dir and config file, so the
user's real config and derived data (index, graph, models) are never touched."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from journal_me.offline import _PATCHES, FORCED

if TYPE_CHECKING:  # the journal loads when a test asks for one, not for every test
    from journal_me.api import Journal
    from journal_me.config import Settings

SAMPLE_VAULT = Path(__file__).resolve().parents[1] / "vault"


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


# -- vaults and journals (the core and life tests) ------------------------------------------


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
    """open_journal(vault, reindex=False, **settings) -> Journal using the test's env (closed
    at teardown); ``reindex=True`` indexes it before returning."""
    from journal_me.api import open_vault
    from journal_me.config import load_settings

    opened: list[Journal] = []

    def _open(root: Path, *, reindex: bool = False, **overrides: Any) -> Journal:
        journal = open_vault(settings=load_settings(vault=root, **overrides))
        opened.append(journal)
        if reindex:
            journal.reindex()
        return journal

    yield _open
    for journal in opened:
        journal.close()


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a private copy of the sample vault, with its own data dir."""
    from journal_me.config import load_settings

    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(SAMPLE_VAULT, root / "vault", symlinks=True)
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    return load_settings(vault=root / "vault", env=env)


@pytest.fixture(scope="session")
def sample_journal(sample_settings: Settings) -> Iterator[Journal]:
    """The sample vault, indexed once per session. Tests must not modify it."""
    from journal_me.api import open_vault

    journal = open_vault(settings=sample_settings)
    journal.reindex()
    yield journal
    journal.close()
