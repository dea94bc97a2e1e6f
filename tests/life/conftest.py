"""Fixtures for the life tests: temp vaults, the journal on them, the sample vault indexed once."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE_VAULT = REPO / "vault"


@pytest.fixture(autouse=True)
def _life_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "config.toml"))
    for name in ("JOURNAL_ME_VAULT", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    path = tmp_path / "vault"
    path.mkdir()
    return path


@pytest.fixture
def write() -> Callable[..., Path]:
    def _write(root: Path, rel: str, text: str) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return path

    return _write


@pytest.fixture
def open_journal() -> Iterator[Callable[..., Journal]]:
    opened: list[Journal] = []

    def _open(root: Path, **overrides: Any) -> Journal:
        journal = open_vault(settings=load_settings(vault=root, **overrides))
        opened.append(journal)
        journal.reindex()
        return journal

    yield _open
    for journal in opened:
        journal.close()


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("life-sample")
    shutil.copytree(SAMPLE_VAULT, root / "vault", symlinks=True)
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    return load_settings(vault=root / "vault", env=env)


@pytest.fixture(scope="session")
def sample_journal(sample_settings: Settings) -> Iterator[Journal]:
    """The sample vault, indexed once per session. Tests must not modify it."""
    journal = open_vault(settings=sample_settings)
    journal.reindex()
    yield journal
    journal.close()
