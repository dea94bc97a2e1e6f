"""First run without a journal folder (issue 9.6): the TUI offers to create one, writes the
config (through ``journal_me.setup.init_vault``) and opens it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

import journal_me.tui as tui
from journal_me.config import Settings, load_settings
from journal_me.tui.app import JournalMeApp
from journal_me.tui.first_run import FirstRunApp

SIZE = (80, 24)


@pytest.fixture
def missing(tmp_path: Path, tui_env: Path) -> Settings:
    return load_settings(vault=tmp_path / "journal")


def config_vault(tmp_path: Path) -> Any:
    return tomllib.loads((tmp_path / "config.toml").read_text(encoding="utf-8")).get("vault")


async def test_creates_the_folder_and_writes_the_config(missing: Settings, tmp_path: Path) -> None:
    app = FirstRunApp(missing)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert str(missing.vault) in str(app.query_one("#first-run-text", Static).render())
        field = app.query_one("#first-run-path", Input)
        assert field.value == str(missing.vault)
        field.value = str(tmp_path / "Diary")
        await pilot.click("#first-run-create")
        await pilot.pause()
    assert app.return_value == tmp_path / "Diary"
    assert (tmp_path / "Diary").is_dir()
    assert config_vault(tmp_path) == str(tmp_path / "Diary")
    assert not missing.vault.exists()


async def test_quit_creates_nothing(missing: Settings, tmp_path: Path) -> None:
    app = FirstRunApp(missing)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None
    assert not missing.vault.exists() and not (tmp_path / "config.toml").exists()


async def test_a_file_is_refused_with_the_reason(missing: Settings, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    app = FirstRunApp(missing)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#first-run-path", Input).value = str(tmp_path / "notes.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        assert "not a folder" in str(app.query_one("#first-run-error", Static).render())


def test_run_tui_offers_creation_then_opens_the_new_vault(
    missing: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []

    def first_run(self: FirstRunApp, **_: Any) -> Path:
        from journal_me.setup import init_vault

        return init_vault(self.settings.vault, self.settings, force=True).vault

    def journal_app(self: JournalMeApp, **_: Any) -> int:
        opened.append(self.settings.vault)
        return 0

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr(FirstRunApp, "run", first_run)
    monkeypatch.setattr(JournalMeApp, "run", journal_app)
    assert tui.run_tui(missing) == 0
    assert opened == [missing.vault] and missing.vault.is_dir()
    assert config_vault(tmp_path) == str(missing.vault)


def test_run_tui_without_a_terminal_says_how_to_create_it(
    missing: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert tui.run_tui(missing) == 2
    assert "journal-me init" in capsys.readouterr().err
    assert not missing.vault.exists()


def test_run_tui_names_a_vault_that_is_a_file(
    tmp_path: Path, tui_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "journal.md").write_text("x", encoding="utf-8")
    assert tui.run_tui(load_settings(vault=tmp_path / "journal.md")) == 2
    assert "is a file" in capsys.readouterr().err
