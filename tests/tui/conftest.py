"""TUI test set-up: a copy of the sample vault per test (its index built once per session),
a fixed "today", watcher off unless a test wants it, and helpers to let workers settle.

The root conftest already points JOURNAL_ME_DATA_DIR and JOURNAL_ME_CONFIG at temp paths;
``tui_env`` repeats it here so these tests stay isolated even if run on their own.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from journal_me.config import Settings, load_settings
from journal_me.tui.app import JournalMeApp

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_VAULT = ROOT / "vault"
TODAY = dt.date(2026, 11, 2)  # after the sample vault's last entry (2026-10-31)
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def tui_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(data))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("JOURNAL_ME_VAULT", raising=False)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    return data


@pytest.fixture(scope="session")
def prebuilt_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The sample vault indexed once: (vault copy, its derived-data dir)."""
    from journal_me.api import open_vault

    base = tmp_path_factory.mktemp("prebuilt")
    vault = base / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    settings = load_settings(
        vault=vault,
        env={"JOURNAL_ME_DATA_DIR": str(base / "data"), "JOURNAL_ME_CONFIG": str(base / "none.toml")},
    )
    journal = open_vault(settings=settings)
    journal.reindex()
    journal.close()
    yield vault, settings.vault_data_dir


@pytest.fixture
def settings(tmp_path: Path, tui_env: Path, prebuilt_index: tuple[Path, Path]) -> Settings:
    """Settings for a fresh copy of the sample vault, with the prebuilt index copied in."""
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    s = load_settings(vault=vault)
    assert s.data_root == tui_env and s.state_file.is_relative_to(tmp_path)
    shutil.copytree(prebuilt_index[1], s.vault_data_dir)
    return s


@pytest.fixture
def make_app(settings: Settings) -> Callable[..., JournalMeApp]:
    def make(**kwargs: Any) -> JournalMeApp:
        options: dict[str, Any] = {
            "today": lambda: TODAY,
            "watch": False,
            "autosave_delay": 0.2,
            "disk_check_interval": 0,
        }
        options.update(kwargs)
        s = options.pop("settings", settings)
        return JournalMeApp(s, **options)

    return make


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 8.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def no_blink(app: JournalMeApp) -> None:
    """Stop cursors blinking, so screenshots do not depend on timing."""
    from textual.widgets import Input, TextArea

    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    for field in app.screen.query(Input):
        field.cursor_blink = False
