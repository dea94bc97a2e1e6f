"""``journal-me init [PATH]`` and the first-run message (issue 9): a folder is created (or an
existing one adopted), the config file (JOURNAL_ME_CONFIG here) gains ``vault = "…"`` and
keeps everything else."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.config import load_settings
from journal_me.setup import SetupError, init_vault, toml_string


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_first_run_points_at_init_then_init_creates_and_configures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    target = tmp_path / "My Journal"
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(target))  # "the configured one" before init
    code, _, err = run(capsys, "search", "anything")
    assert code == 1 and f"no journal at {target}" in err and "journal-me init" in err
    monkeypatch.delenv("JOURNAL_ME_VAULT")

    code, out, err = run(capsys, "init", str(target))
    assert code == 0, err
    assert target.is_dir()
    assert "created the journal folder" in out and "journal-me" in out
    assert tomllib.loads(config.read_text(encoding="utf-8"))["vault"] == str(target)
    assert load_settings().vault == target
    # now the vault works without --vault
    code, out, err = run(capsys, "add", "first words")
    assert code == 0, err
    code, out, err = run(capsys, "search", "--json", "first words")
    assert code == 0 and '"hits"' in out


def test_init_keeps_other_keys_byte_for_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    original = '# my settings\nname = "Elena"  # me\n\n[llm]\ntemperature = 0.5\n'
    config.write_text(original, encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path / "j"))
    assert code == 0, err
    text = config.read_text(encoding="utf-8")
    assert text.endswith(original)
    data = tomllib.loads(text)
    assert (
        data["vault"] == str(tmp_path / "j") and data["name"] == "Elena" and data["llm"]["temperature"] == 0.5
    )


def test_init_refuses_to_replace_a_configured_vault_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('vault = "/somewhere/else"\ntheme = "journal-dark"\n', encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path / "j"))
    assert code == 1 and "already has vault" in err and "--force" in err
    assert not (tmp_path / "j").exists()  # nothing created on a refusal
    assert config.read_text(encoding="utf-8") == 'vault = "/somewhere/else"\ntheme = "journal-dark"\n'
    code, _, err = run(capsys, "init", str(tmp_path / "j"), "--force")
    assert code == 0, err
    assert (
        config.read_text(encoding="utf-8")
        == f'vault = {toml_string(str(tmp_path / "j"))}\ntheme = "journal-dark"\n'
    )
    # the same vault again: nothing to change
    code, out, _ = run(capsys, "init", str(tmp_path / "j"))
    assert code == 0 and "already points at it" in out and "using the existing folder" in out


def test_init_adopts_an_existing_folder_and_refuses_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "obsidian"
    existing.mkdir()
    (existing / "note.md").write_text("keep\n", encoding="utf-8")
    code, out, err = run(capsys, "init", str(existing))
    assert code == 0, err
    assert "using the existing folder" in out
    assert (existing / "note.md").read_text(encoding="utf-8") == "keep\n"
    a_file = tmp_path / "journal.txt"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "init", str(a_file), "--force")
    assert code == 1 and "not a folder" in err
    assert a_file.read_text(encoding="utf-8") == "x"


def test_init_vault_is_headless_and_uses_the_given_config(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere" / "c.toml"
    result = init_vault(tmp_path / 'odd "name" \\ here', config_file=config)
    assert result.created and result.config_changed and result.config_file == config
    assert tomllib.loads(config.read_text(encoding="utf-8"))["vault"] == str(tmp_path / 'odd "name" \\ here')
    config.write_text("not = [valid\n", encoding="utf-8")
    with pytest.raises(SetupError, match="not valid TOML"):
        init_vault(tmp_path / "other", config_file=config)
    assert config.read_text(encoding="utf-8") == "not = [valid\n"


def test_init_uses_the_config_given_with_dash_dash_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.toml"
    code, _, err = run(capsys, "--config", str(other), "init", str(tmp_path / "j"))
    assert code == 0, err
    assert tomllib.loads(other.read_text(encoding="utf-8"))["vault"] == str(tmp_path / "j")
    assert not (tmp_path / "config.toml").exists()


# -- offline by default (issue 15) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "offline"),
    [
        (["search", "x"], True),
        (["--vault", "model", "doctor"], True),  # a vault named "model" is not the command
        (["model", "list"], True),
        (["--config", "c.toml", "model", "pull", "--dry-run", "qwen2.5-1.5b"], False),
        (["model", "pull", "--dry-run", "qwen2.5-1.5b"], False),
    ],
)
def test_every_command_but_model_pull_runs_offline(
    argv: list[str], offline: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import journal_me.cli as cli

    calls: list[int] = []
    monkeypatch.setattr(cli, "enforce_offline", lambda: calls.append(1))
    assert cli.needs_network(argv) is not offline
    main(argv)
    capsys.readouterr()
    assert bool(calls) is offline


# -- `--help` stays fast -------------------------------------------------------------------
def test_help_loads_no_heavy_module() -> None:
    import subprocess
    import sys

    heavy = ["whoosh", "networkx", "numpy", "dateparser", "textual", "torch", "llama_cpp", "journal_me.api"]
    code = (
        "import sys, contextlib, io\n"
        "from journal_me.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_bridge_actions_match_the_modes() -> None:
    from journal_me.commands.talk import BRIDGE_ACTIONS
    from journal_me.modes.bridge import ACTIONS

    assert BRIDGE_ACTIONS == ACTIONS
