"""A command module that fails to import is reported, by name, and the other commands still run.

``journal_me.cli`` used to skip a module that did not import ("not written yet") without a
word, and a module that raised on import took every command that loads all modules down with
a traceback. Each test adds a broken (or missing) module to the CLI's module list and table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_me import cli

BROKEN = "jm_test_broken_commands"
MISSING = "jm_test_missing_commands"


@pytest.fixture
def broken_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A command module that raises on import, listed by the CLI with one command, ``broken``."""
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / f"{BROKEN}.py").write_text(
        'raise RuntimeError("boom: this module is broken")\n', encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    _list_module(monkeypatch, BROKEN, "broken")
    yield BROKEN
    sys.modules.pop(BROKEN, None)


def _list_module(monkeypatch: pytest.MonkeyPatch, module: str, command: str) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, module))
    monkeypatch.setattr(cli, "COMMAND_TABLE", {**cli.COMMAND_TABLE, command: (module, "a test command")})


def _main(*argv: str) -> int:
    try:
        return cli.main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


def test_running_a_command_of_a_broken_module_names_the_module(
    broken_module: str, vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _main("--vault", str(vault), "broken")
    err = capsys.readouterr().err
    assert code != 0
    assert broken_module in err and "boom: this module is broken" in err
    assert "Traceback" not in err
    assert err.count(broken_module) == 1, err  # said once, not once per attempt


def test_other_commands_run_when_every_module_is_loaded(
    broken_module: str, vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command missing from the table loads every module: the broken one is reported and
    the command still runs."""
    (vault / "2026-03-03.md").write_text("A calm day by the lighthouse.\n", encoding="utf-8")
    table = {k: v for k, v in cli.COMMAND_TABLE.items() if k != "index"}
    monkeypatch.setattr(cli, "COMMAND_TABLE", table)
    assert _main("--vault", str(vault), "index") == 0
    err = capsys.readouterr().err
    assert broken_module in err and "boom: this module is broken" in err


def test_a_listed_module_that_does_not_exist_is_reported(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _list_module(monkeypatch, MISSING, "missing")
    (vault / "2026-03-03.md").write_text("A calm day by the lighthouse.\n", encoding="utf-8")
    table = {k: v for k, v in cli.COMMAND_TABLE.items() if k != "index"}
    monkeypatch.setattr(cli, "COMMAND_TABLE", table)
    assert _main("--vault", str(vault), "index") == 0
    assert MISSING in capsys.readouterr().err
